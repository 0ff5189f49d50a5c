/* The conformance guest: runs a list of GIC register accesses, each on the vCPU it names, and
 * prints every value read on the PL011 UART; gicheck conform (checker/conform/) compares them
 * with what the spec allows.
 *
 * The list is loaded at CMDS by QEMU (-device loader); the layout is struct header followed by
 * `count` struct command (checker/conform/target.py writes it). Output, one line each:
 *   I <gicd_typer>          at start (the harness sets the spec's nr_irqs from it)
 *   R <index> <value>       a read's value, in hex
 *   A <index>               the access took a data abort (the value is not compared)
 *   D                       the list is done; then CPU 0 powers the machine off.
 *
 * Before the list runs, each vCPU's CPU interface and the redistributors are put in the state
 * KVM's vgic gives a guest without it asking (the spec does not model them): GICv3: ICC_SRE_EL1
 * SRE, ICC_PMR_EL1 0xff, ICC_IGRPEN1_EL1 1, GICR_WAKER.ProcessorSleep 0, every interrupt in
 * group 1 (KVM's IGROUPR are RAO/WI), the SGIs enabled (KVM enables them at creation; QEMU
 * resets them disabled); GICv2: GICC_PMR 0xff, GICC_CTLR enable, every SPI routed to CPU 0. */
#include <stdint.h>

#define UART      0x09000000UL
#define GICD      0x08000000UL
#define GICC      0x08010000UL
#define GICR      0x080A0000UL
#define GICR_STRIDE 0x20000UL
#define CMDS      0x44000000UL
#define MAGIC     0x47494343U /* "GICC" */
#define MAX_CPUS  64

enum { OP_READ = 0, OP_WRITE = 1, OP_SYSREG_READ = 2, OP_SYSREG_WRITE = 3 };
enum { SR_IAR1 = 0, SR_EOIR1 = 1, SR_SGI1R = 2, SR_SRE = 3 };

struct header { uint32_t magic, count, ncpus, gic; };
struct command { uint32_t op, cpu, width, sysreg; uint64_t addr, value; };

volatile uint64_t access_aborted;
static volatile uint32_t ready[MAX_CPUS]; /* flags, not a counter: no atomic read-modify-write */
static volatile uint32_t next;

uint64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void secondary_entry(void);

static void uart_putc(char c)
{
    while (*(volatile uint32_t *)(UART + 0x18) & (1u << 5)) /* TXFF */
        ;
    *(volatile uint32_t *)UART = (uint32_t)c;
}

static void put_str(const char *s) { while (*s) uart_putc(*s++); }

static void put_hex(uint64_t v)
{
    int shift = 60;
    while (shift > 0 && !((v >> shift) & 0xf)) shift -= 4;
    for (; shift >= 0; shift -= 4) uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void power_off(void) { psci_call(0x84000008UL, 0, 0, 0); } /* PSCI SYSTEM_OFF */

void fatal_exception(uint64_t esr, uint64_t elr)
{
    put_str("F "); put_hex(esr); uart_putc(' '); put_hex(elr); uart_putc('\n');
    power_off();
}

static uint32_t load_acquire(volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store_release(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static uint32_t cluster(uint32_t gic) { return gic == 3 ? 16 : 8; } /* QEMU virt's mp-affinity */

static uint64_t mmio_read(uint64_t addr, uint32_t width)
{
    switch (width) {
    case 8: return *(volatile uint8_t *)addr;
    case 16: return *(volatile uint16_t *)addr;
    case 32: return *(volatile uint32_t *)addr;
    default: return *(volatile uint64_t *)addr;
    }
}

static void mmio_write(uint64_t addr, uint32_t width, uint64_t v)
{
    switch (width) {
    case 8: *(volatile uint8_t *)addr = (uint8_t)v; break;
    case 16: *(volatile uint16_t *)addr = (uint16_t)v; break;
    case 32: *(volatile uint32_t *)addr = (uint32_t)v; break;
    default: *(volatile uint64_t *)addr = v; break;
    }
    asm volatile("dsb sy" ::: "memory");
}

static uint64_t sysreg_read(uint32_t id)
{
    uint64_t v = 0;
    switch (id) {
    case SR_IAR1: asm volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v)); break;
    case SR_SRE: asm volatile("mrs %0, S3_0_C12_C12_5" : "=r"(v)); break;
    }
    return v;
}

static void sysreg_write(uint32_t id, uint64_t v)
{
    switch (id) {
    case SR_EOIR1: asm volatile("msr S3_0_C12_C12_1, %0" :: "r"(v)); break;
    case SR_SGI1R: asm volatile("msr S3_0_C12_C11_5, %0" :: "r"(v)); break;
    case SR_SRE: asm volatile("msr S3_0_C12_C12_5, %0" :: "r"(v)); break;
    }
    asm volatile("isb" ::: "memory");
}

static void cpu_interface_init(const struct header *h, uint32_t me)
{
    if (h->gic == 3) {
        uint64_t waker = GICR + me * GICR_STRIDE + 0x14;
        *(volatile uint32_t *)waker &= ~2u;                 /* ProcessorSleep */
        while (*(volatile uint32_t *)waker & 4u)             /* ChildrenAsleep */
            ;
        *(volatile uint32_t *)(GICR + me * GICR_STRIDE + 0x10080) = 0xffffffffu; /* IGROUPR0 */
        *(volatile uint32_t *)(GICR + me * GICR_STRIDE + 0x10100) = 0xffffu;     /* ISENABLER0: SGIs */
        asm volatile("msr S3_0_C12_C12_5, %0" :: "r"((uint64_t)7));  /* ICC_SRE_EL1 */
        asm volatile("isb");
        asm volatile("msr S3_0_C4_C6_0, %0" :: "r"((uint64_t)0xff)); /* ICC_PMR_EL1 */
        asm volatile("msr S3_0_C12_C12_7, %0" :: "r"((uint64_t)1));  /* ICC_IGRPEN1_EL1 */
        asm volatile("isb");
    } else {
        *(volatile uint32_t *)(GICC + 0x4) = 0xff;           /* GICC_PMR */
        *(volatile uint32_t *)(GICC + 0x0) = 1;              /* GICC_CTLR: Enable */
    }
}

static void run_commands(const struct header *h, uint32_t me)
{
    const struct command *cmds = (const struct command *)(CMDS + sizeof(struct header));
    for (;;) {
        uint32_t i = load_acquire(&next);
        if (i >= h->count)
            return;
        const struct command *c = &cmds[i];
        if (c->cpu != me) {
            asm volatile("wfe");
            continue;
        }
        access_aborted = 0;
        uint64_t v = 0;
        switch (c->op) {
        case OP_READ: v = mmio_read(c->addr, c->width); break;
        case OP_WRITE: mmio_write(c->addr, c->width, c->value); break;
        case OP_SYSREG_READ: v = sysreg_read(c->sysreg); break;
        case OP_SYSREG_WRITE: sysreg_write(c->sysreg, c->value); break;
        }
        if (access_aborted) {
            put_str("A "); put_hex(i); uart_putc('\n');
        } else if (c->op == OP_READ || c->op == OP_SYSREG_READ) {
            put_str("R "); put_hex(i); uart_putc(' '); put_hex(v); uart_putc('\n');
        }
        store_release(&next, i + 1);
        asm volatile("sev");
    }
}

void cpu_main(uint64_t index)
{
    const struct header *h = (const struct header *)CMDS;
    uint32_t me = (uint32_t)index;
    if (me == 0) {
        if (h->magic != MAGIC || h->ncpus == 0 || h->ncpus > MAX_CPUS) {
            put_str("F bad-commands 0\n");
            power_off();
        }
        put_str("I "); put_hex(*(volatile uint32_t *)(GICD + 4)); uart_putc('\n');
        if (h->gic == 3)
            for (uint32_t n = 1; n < 32; n++)
                *(volatile uint32_t *)(GICD + 0x80 + 4 * n) = 0xffffffffu; /* IGROUPR<n> */
        if (h->gic == 2) {
            /* KVM routes every SPI to vCPU 0 at creation (vgic_v2_init_model); QEMU's reset
             * routes them to no CPU when it has more than one (arm_gic_common.c). */
            uint32_t lines = (*(volatile uint32_t *)(GICD + 4) & 0x1fu) + 1; /* ITLinesNumber */
            for (uint32_t n = 8; n < 8 * lines; n++)
                *(volatile uint32_t *)(GICD + 0x800 + 4 * n) = 0x01010101u; /* ITARGETSR<n> */
        }
        for (uint32_t c = 1; c < h->ncpus; c++) {
            uint64_t mpidr = ((c / cluster(h->gic)) << 8) | (c % cluster(h->gic));
            uint64_t r = psci_call(0xC4000003UL, mpidr, (uint64_t)secondary_entry, c); /* CPU_ON */
            if (r != 0) {
                put_str("F cpu-on "); put_hex(c); uart_putc('\n');
                power_off();
            }
        }
    }
    cpu_interface_init(h, me);
    store_release(&ready[me], 1);
    asm volatile("sev");
    for (uint32_t c = 0; c < h->ncpus; c++)
        while (!load_acquire(&ready[c]))
            asm volatile("wfe");
    run_commands(h, me);
    if (me == 0) {
        put_str("D\n");
        power_off();
    }
}
