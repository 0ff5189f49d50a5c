-- The SGI slice of KVM's GICv3 emulation in Murphi, for Rumur: the same machine and the same
-- four promises as bench/peers/gicheck/sgi.gic and sgi.prop (gicheck) and bench/peers/sgi.pml
-- (Promela, for Spin). bench/peers/run.py sets the constants N, TLMAX, K and V1 below, then
--
--     rumur --threads 1 --deadlock-detection off sgi.m --output checker.c
--     gcc -std=c11 -O2 checker.c -o checker -lpthread && ./checker
--
-- The state (spec/common/irq.gic): per vCPU, the pending and active state of SGIs 0..SGIS-1
-- and the active priority. Every SGI is enabled and the distributor too (as in the gicheck
-- slice). Each rule is one step: a vCPU writes ICC_SGI1R_EL1, takes an SGI, or writes
-- ICC_EOIR1_EL1.
--
-- The arguments of an ICC_SGI1R_EL1 write (the parameters of its ruleset): the sender, IRM,
-- INTID (0..SGIS-1: a write naming another SGI changes nothing the slice holds), TargetList
-- over the bits a vCPU's Aff0 can take (0..TLMAX = 2^min(N,16) - 1: the others name no vCPU),
-- and the cluster Aff3.Aff2.Aff1 as Aff1 in 0..K with Aff3 = Aff2 = 0, where K = ceil(N/16):
-- 0..K-1 are the clusters the vCPUs are in, and K names none, as every other value of the
-- three fields does. RS is never read. So every value of the 64-bit register acts as one of
-- those chosen here, in the dispatch and in the promises alike.

const
  N: 4;           -- vCPUs (run.py sets it)
  TLMAX: 15;      -- 2^min(N,16) - 1
  K: 1;           -- ceil(N/16): Aff1 = K names no vCPU
  V1: false;      -- the series' v1 dispatch instead of the merged one
  SGIS: 2;        -- the SGIs of the slice: 0 and 1

type
  vcpu_t: 0..N-1;
  sgi_t: 0..SGIS-1;
  tl_t: 0..TLMAX;
  aff1_t: 0..K;

var
  -- one latch per vCPU and SGI: GICv3 keeps no SGI source
  pending: array [vcpu_t] of array [sgi_t] of boolean;
  active: array [vcpu_t] of array [sgi_t] of boolean;
  -- the vCPU took an interrupt and has not yet dropped its priority
  active_priority: array [vcpu_t] of boolean;

-- KVM's MPIDR for vCPU c (spec/common/mpidr.gic, reset_mpidr): Aff0 = c[3:0], Aff1 = c[11:4];
-- Aff2 = c[19:12] and Aff3 are 0 for every vCPU here.
function aff0(c: vcpu_t): 0..15;
begin
  return c % 16;
end;

function aff1(c: vcpu_t): 0..255;
begin
  return (c / 16) % 256;
end;

-- Bit b of a 16-bit mask.
function bit(x: 0..65535; b: 0..15): boolean;
begin
  return ((x >> b) & 1) = 1;
end;

-- properties/sgi.prop `targeted`: Aff3.Aff2.Aff1 equal the write's (Aff3 = Aff2 = 0 on both
-- sides here), and TargetList has the bit of the vCPU's Aff0 (always below 16).
function targeted(c: vcpu_t; tl: tl_t; a1: aff1_t): boolean;
begin
  return aff1(c) = a1 & bit(tl, aff0(c));
end;

startstate "reset"
begin
  for c: vcpu_t do
    for i: sgi_t do
      pending[c][i] := false;
      active[c][i] := false;
    endfor;
    active_priority[c] := false;
  endfor;
end;

-- A vCPU writes ICC_SGI1R_EL1 (spec/gicv3/sgi.gic).
ruleset self: vcpu_t; irm: 0..1; intid: sgi_t; tl: tl_t; a1: aff1_t do
  rule "ICC_SGI1R_EL1 write"
  var
    targets: 0..65535;
    stop: boolean;
    old: array [vcpu_t] of boolean;
  begin
    for c: vcpu_t do
      old[c] := pending[c][intid];
    endfor;
    -- vgic_v3_dispatch_sgi(): the loop over vCPUs in index order
    targets := tl;
    stop := false;
    for c: vcpu_t do
      if V1 then
        -- v1: `if (target_cpus == 0) break;` whatever the routing mode
        if targets = 0 then stop := true; endif;
      else
        -- merged: `if (!broadcast && target_cpus == 0) break;`
        if irm = 0 & targets = 0 then stop := true; endif;
      endif;
      if !stop then
        if irm = 1 then
          if c != self then pending[c][intid] := true; endif;   -- all but self
        else
          -- match_mpidr(): same Aff3.Aff2.Aff1 and the Aff0 bit set
          if aff1(c) = a1 & bit(targets, aff0(c)) then
            targets := targets & ~(1 << aff0(c));
            pending[c][intid] := true;
          endif;
        endif;
      endif;
    endfor;
    -- the promises of properties/sgi.prop for this write
    for c: vcpu_t do
      if irm = 1 & c != self then
        assert pending[c][intid] "broadcast_reaches_all_others";
      elsif irm = 1 & c = self then
        assert pending[c][intid] = old[c] "broadcast_skips_sender";
      else
        assert pending[c][intid] = (old[c] | targeted(c, tl, a1)) "targeted_reaches_exactly_matching";
      endif;
    endfor;
  end;
endruleset;

-- A vCPU takes a pending SGI of its own while it has no active priority
-- (spec/gicv3/cpuif.gic, acknowledge).
ruleset self: vcpu_t; intid: sgi_t do
  rule "acknowledge"
    !active_priority[self] & pending[self][intid] & !active[self][intid]
  ==>
  begin
    pending[self][intid] := false;
    active[self][intid] := true;
    active_priority[self] := true;
  end;
endruleset;

-- A vCPU writes ICC_EOIR1_EL1 (spec/gicv3/cpuif.gic): INTID 0..SGIS-1, or SGIS for another
-- private INTID (2..31: a PPI or an SGI outside the slice). One of 32 and above changes
-- nothing, and so does a write without an active priority: the guard leaves them out.
ruleset self: vcpu_t; intid: 0..SGIS do
  rule "ICC_EOIR1_EL1 write"
    active_priority[self]
  ==>
  begin
    active_priority[self] := false;
    if intid < SGIS then active[self][intid] := false; endif;
  end;
endruleset;

-- A vCPU with an active priority has an active SGI: the one it took, until an ICC_EOIR1_EL1
-- write drops the priority.
invariant "priority_has_active"
  forall c: vcpu_t do
    active_priority[c] -> exists i: sgi_t do active[c][i] endexists
  endforall;
