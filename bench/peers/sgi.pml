/*
 * The SGI slice of KVM's GICv3 emulation in Promela, for Spin: the same machine and the same
 * four promises as bench/peers/gicheck/sgi.gic and sgi.prop (gicheck) and bench/peers/sgi.m
 * (Murphi, for Rumur). bench/peers/run.py builds and runs it:
 *
 *     spin -DN=4 [-DV1] -a sgi.pml && gcc -O2 -DSAFETY -DNOBOUNDCHECK -DMEMLIM=8192 pan.c -o pan
 *     ./pan -m<depth> -w<hash bits>
 *
 * N is the vCPU count (1..4080: vCPU numbers fit the shorts below, and some Aff1 value names
 * no vCPU); V1 puts the series' v1 dispatch in place of the merged one.
 *
 * The state (spec/common/irq.gic): per vCPU, the pending and active bits of SGIs 0..SGIS-1 and
 * the active priority. Every SGI is enabled and the distributor too (as in the gicheck slice).
 * One process runs the VM: each step is one vCPU writing ICC_SGI1R_EL1, taking an SGI, or
 * writing ICC_EOIR1_EL1. The arguments are chosen inside an atomic sequence (Spin does not
 * store the states inside one), the step itself is one d_step, which then checks the promises
 * and clears the argument variables, so the states stored are the VM's alone.
 *
 * The arguments of an ICC_SGI1R_EL1 write: the sender, IRM, INTID (0..SGIS-1: a write naming
 * another SGI changes nothing the slice holds), TargetList over the bits a vCPU's Aff0 can
 * take (0..min(N,16)-1: the others name no vCPU), and the cluster Aff3.Aff2.Aff1 as Aff1 in
 * 0..K with Aff3 = Aff2 = 0, where K = ceil(N/16): 0..K-1 are the clusters the vCPUs are in,
 * and K names none, as every other value of the three fields does. RS is never read. So every
 * value of the 64-bit register acts as one of those chosen here, in the dispatch and in the
 * promises alike (results.md says what each tool covers).
 */

#ifndef N
#define N 4
#endif

#define SGIS 2 /* the SGIs of the slice: 0 and 1 */

#if N >= 16
#define TLBITS 16
#else
#define TLBITS N
#endif
#define K ((N + 15) / 16) /* clusters of 16 vCPUs; Aff1 = K names no vCPU */

/* KVM's MPIDR for vCPU c (spec/common/mpidr.gic, reset_mpidr): Aff0 = c[3:0], Aff1 = c[11:4];
 * Aff2 = c[19:12] and Aff3 are 0 for every vCPU here. */
#define AFF0(c) ((c) & 15)
#define AFF1(c) (((c) >> 4) & 255)

#define BIT(x, b) (((x) >> (b)) & 1)

byte pending_sgis[N];   /* bit i: SGI i pending on the vCPU (one latch: no SGI source in GICv3) */
byte active_sgis[N];    /* bit i: SGI i active on the vCPU */
bool active_priority[N];  /* the vCPU took an interrupt and has not yet dropped its priority */

/* Scratch of one d_step, not part of the state (hidden): the dispatch loop and the promises. */
hidden short c;
hidden unsigned targets : 16;
hidden byte old[N]; /* pending bit of the SGI written, per vCPU, before the write */

/* The property names, so that Spin's "assertion violated" line names the promise broken. */
hidden byte broadcast_reaches_all_others = 1;
hidden byte broadcast_skips_sender = 1;
hidden byte targeted_reaches_exactly_matching = 1;
hidden byte priority_has_active = 1;

/* properties/sgi.prop `targeted`: Aff3.Aff2.Aff1 equal the write's (Aff3 = Aff2 = 0 on both
 * sides here), and TargetList has the bit of the vCPU's Aff0 (always below 16). */
#define TARGETED(v) (AFF1(v) == aff1 && BIT(tl, AFF0(v)))

/* invariant priority_has_active: a vCPU with an active priority has an active SGI. Checked at
 * the end of every step (so in every state reached; it holds at reset). */
#define CHECK_INVARIANT \
	c = 0; \
	do \
	:: c < N -> assert(priority_has_active && (!active_priority[c] || active_sgis[c] != 0)); c++ \
	:: else -> break \
	od

active proctype vm()
{
	short self;
	bit irm;
	byte intid;
	unsigned tl : 16;
	byte aff1;
	byte b;

	do
	:: /* A vCPU writes ICC_SGI1R_EL1 (spec/gicv3/sgi.gic). */
		atomic {
			select(self : 0 .. N - 1);
			select(irm : 0 .. 1);
			select(intid : 0 .. SGIS - 1);
			/* TargetList: each of its TLBITS bits set or not */
			b = 0;
			do
			:: b < TLBITS -> if :: tl = tl | (1 << b) :: skip fi; b++
			:: else -> break
			od;
			select(aff1 : 0 .. K);
			d_step {
				c = 0;
				do
				:: c < N -> old[c] = BIT(pending_sgis[c], intid); c++
				:: else -> break
				od;
				/* vgic_v3_dispatch_sgi(): the loop over vCPUs in index order */
				targets = tl;
				c = 0;
				do
				:: c < N ->
#ifdef V1
					/* v1: `if (target_cpus == 0) break;` whatever the routing mode */
					if
					:: targets == 0 -> break
					:: else -> skip
					fi;
#else
					/* merged: `if (!broadcast && target_cpus == 0) break;` */
					if
					:: !irm && targets == 0 -> break
					:: else -> skip
					fi;
#endif
					if
					:: irm && c == self -> skip /* broadcast: all but self */
					:: irm && c != self -> pending_sgis[c] = pending_sgis[c] | (1 << intid)
					:: !irm ->
						/* match_mpidr(): same Aff3.Aff2.Aff1 and the Aff0 bit set */
						if
						:: AFF1(c) == aff1 && BIT(targets, AFF0(c)) ->
							targets = targets & ~(1 << AFF0(c));
							pending_sgis[c] = pending_sgis[c] | (1 << intid)
						:: else -> skip
						fi
					fi;
					c++
				:: else -> break
				od;
				/* the promises of properties/sgi.prop for this write */
				c = 0;
				do
				:: c < N ->
					if
					:: irm && c != self ->
						assert(broadcast_reaches_all_others && BIT(pending_sgis[c], intid))
					:: irm && c == self ->
						assert(broadcast_skips_sender && BIT(pending_sgis[c], intid) == old[c])
					:: !irm ->
						assert(targeted_reaches_exactly_matching
							&& BIT(pending_sgis[c], intid) == (old[c] || TARGETED(c)))
					fi;
					old[c] = 0;
					c++
				:: else -> break
				od;
				CHECK_INVARIANT;
				self = 0; irm = 0; intid = 0; tl = 0; aff1 = 0; b = 0;
				c = 0; targets = 0
			}
		}
	:: /* A vCPU takes a pending SGI of its own while it has no active priority
	    * (spec/gicv3/cpuif.gic, acknowledge); a choice that cannot be taken changes nothing. */
		atomic {
			select(self : 0 .. N - 1);
			select(intid : 0 .. SGIS - 1);
			d_step {
				if
				:: !active_priority[self] && BIT(pending_sgis[self], intid) && !BIT(active_sgis[self], intid) ->
					pending_sgis[self] = pending_sgis[self] & ~(1 << intid);
					active_sgis[self] = active_sgis[self] | (1 << intid);
					active_priority[self] = true
				:: else -> skip
				fi;
				CHECK_INVARIANT;
				self = 0; intid = 0; c = 0
			}
		}
	:: /* A vCPU writes ICC_EOIR1_EL1 (spec/gicv3/cpuif.gic): INTID 0..SGIS-1, or SGIS for
	    * another private INTID (2..31: a PPI or an SGI outside the slice). One of 32 and above
	    * changes nothing, so it is left out. */
		atomic {
			select(self : 0 .. N - 1);
			select(intid : 0 .. SGIS);
			d_step {
				if
				:: active_priority[self] ->
					active_priority[self] = false;
					if
					:: intid < SGIS -> active_sgis[self] = active_sgis[self] & ~(1 << intid)
					:: else -> skip
					fi
				:: else -> skip
				fi;
				CHECK_INVARIANT;
				self = 0; intid = 0; c = 0
			}
		}
	od
}
