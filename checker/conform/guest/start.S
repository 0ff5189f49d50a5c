// Entry, exception vectors and PSCI calls of the conformance guest (see main.c).
//
// QEMU's -kernel loads this ELF and starts CPU 0 at _start at EL1 with the MMU off and IRQs
// masked; the others stay off until CPU 0 powers them on with PSCI CPU_ON (through HVC, the
// conduit of -M virt without EL2/EL3), at secondary_entry with their index in x0.

    .equ    STACK_SIZE, 0x4000      // as in guest.ld

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x1, =stacks
    add     x1, x1, #STACK_SIZE
    mov     sp, x1
    mov     x0, #0
    b       common

    .global secondary_entry
secondary_entry:                    // x0: this CPU's index (PSCI's context id)
    ldr     x1, =stacks
    mov     x2, #STACK_SIZE
    madd    x1, x0, x2, x2          // the top of stack x0: stacks + (x0 + 1) * STACK_SIZE
    ldr     x3, =stacks
    add     x1, x1, x3
    mov     sp, x1
common:
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    bl      cpu_main
1:  wfe
    b       1b

    .text
    .global psci_call
psci_call:                          // x0 function, x1..x3 arguments; returns x0
    hvc     #0
    ret

// A synchronous exception at EL1 from an access the target refuses (a data abort, or an
// undefined instruction: a GIC system register the CPU does not have): note it, skip the
// instruction, return. Anything else is fatal: report its syndrome and power off.
    .balign 2048
vectors:
    .rept 4
    .balign 128
    b       fatal
    .endr
    .balign 128                     // current EL with SP_ELx: synchronous
    b       sync_spx
    .rept 11
    .balign 128
    b       fatal
    .endr

sync_spx:
    stp     x9, x10, [sp, #-16]!
    mrs     x9, esr_el1
    lsr     x9, x9, #26
    cmp     x9, #0x25               // data abort taken without a change in exception level
    b.eq    1f
    cmp     x9, #0x00               // unknown reason: an undefined system register (GICv2 has no ICC_*)
    b.ne    2f
1:
    mrs     x9, elr_el1
    add     x9, x9, #4
    msr     elr_el1, x9
    ldr     x9, =access_aborted
    mov     x10, #1
    str     x10, [x9]
    ldp     x9, x10, [sp], #16
    eret
2:  ldp     x9, x10, [sp], #16
fatal:
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    bl      fatal_exception
3:  b       3b
