/*
 * gicheck-guest.h: what the C that `gicheck prove --format c` writes needs in a guest.
 *
 * Each exported trace is a function `int gicheck_test_<property>(void)` that makes the trace's
 * register accesses in order, each on its vCPU, and checks every read against the value the
 * model returned; it returns the number of reads that differed. A test harness (a
 * kvm-unit-tests test, say) links it with the five hooks declared below.
 *
 * Frames are named as in the gicheck spec ("GICD", "GICR", "GICC"). An offset is from the
 * start of the frame's region: a per-vCPU frame (GICR) lays the vCPUs' frames out one after
 * another at the frame's stride, as KVM's redistributor region does, so
 * gicheck_frame_base("GICR") is redistributor 0's base.
 *
 * System register encodings: the Arm GIC architecture specification (IHI 0069, section 12.2)
 * and Linux's arch/arm64/include/asm/sysreg.h (SYS_ICC_*), written as op0_op1_CRn_CRm_op2 for
 * assemblers that do not know the ICC names.
 */
#ifndef GICHECK_GUEST_H
#define GICHECK_GUEST_H

#include <stddef.h>
#include <stdint.h>

struct gicheck_run {
	const char *name;	/* the property */
	int failures;		/* reads that returned another value than the model's */
};

/* ---- hooks the guest provides ---------------------------------------------------------- */

/* The base of a frame's MMIO region ("GICD", "GICR", "GICC"). */
void *gicheck_frame_base(const char *frame);

/* Run fn(data) on vCPU `cpu` and return once it has run (kvm-unit-tests: on_cpu()). */
void gicheck_on_cpu(unsigned int cpu, void (*fn)(void *data), void *data);

/* How many vCPUs the guest has. */
unsigned int gicheck_nr_cpus(void);

/* One checked read: pass is whether it returned the model's value (kvm-unit-tests: report()). */
void gicheck_report(const char *test, unsigned int step, const char *what, int pass, uint64_t got, uint64_t expected);

/* A step that is no guest access (an interrupt line raised, an interrupt taken by the CPU
 * interface): the harness makes it happen, or skips the test. */
void gicheck_environment(struct gicheck_run *run, unsigned int step, const char *action, const uint64_t *args,
			 unsigned int nargs);

/* ---- accesses ---------------------------------------------------------------------------- */

static inline void gicheck_barrier(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dsb sy" ::: "memory");
#else
	__sync_synchronize();
#endif
}

static inline volatile void *gicheck_mmio(const char *frame, uint64_t offset)
{
	return (volatile uint8_t *)gicheck_frame_base(frame) + offset;
}

static inline uint64_t gicheck_read(const char *frame, uint64_t offset, unsigned int bits)
{
	volatile void *addr = gicheck_mmio(frame, offset);
	uint64_t val;

	switch (bits) {
	case 8:
		val = *(volatile uint8_t *)addr;
		break;
	case 16:
		val = *(volatile uint16_t *)addr;
		break;
	case 32:
		val = *(volatile uint32_t *)addr;
		break;
	default:
		val = *(volatile uint64_t *)addr;
		break;
	}
	gicheck_barrier();
	return val;
}

static inline void gicheck_write(const char *frame, uint64_t offset, unsigned int bits, uint64_t val)
{
	volatile void *addr = gicheck_mmio(frame, offset);

	gicheck_barrier();
	switch (bits) {
	case 8:
		*(volatile uint8_t *)addr = (uint8_t)val;
		break;
	case 16:
		*(volatile uint16_t *)addr = (uint16_t)val;
		break;
	case 32:
		*(volatile uint32_t *)addr = (uint32_t)val;
		break;
	default:
		*(volatile uint64_t *)addr = val;
		break;
	}
}

static inline void gicheck_expect(struct gicheck_run *run, unsigned int step, const char *what, uint64_t got,
				  uint64_t expected)
{
	if (got != expected)
		run->failures++;
	gicheck_report(run->name, step, what, got == expected, got, expected);
}

static inline int gicheck_skip(struct gicheck_run *run, const char *why)
{
	(void)run;
	(void)why;
	return 0;
}

/* ---- GICv3 CPU interface system registers ------------------------------------------------ */

#define GICHECK_SYSREG_ICC_PMR_EL1	"S3_0_C4_C6_0"
#define GICHECK_SYSREG_ICC_IAR0_EL1	"S3_0_C12_C8_0"
#define GICHECK_SYSREG_ICC_EOIR0_EL1	"S3_0_C12_C8_1"
#define GICHECK_SYSREG_ICC_HPPIR0_EL1	"S3_0_C12_C8_2"
#define GICHECK_SYSREG_ICC_BPR0_EL1	"S3_0_C12_C8_3"
#define GICHECK_SYSREG_ICC_DIR_EL1	"S3_0_C12_C11_1"
#define GICHECK_SYSREG_ICC_RPR_EL1	"S3_0_C12_C11_3"
#define GICHECK_SYSREG_ICC_SGI1R_EL1	"S3_0_C12_C11_5"
#define GICHECK_SYSREG_ICC_ASGI1R_EL1	"S3_0_C12_C11_6"
#define GICHECK_SYSREG_ICC_SGI0R_EL1	"S3_0_C12_C11_7"
#define GICHECK_SYSREG_ICC_IAR1_EL1	"S3_0_C12_C12_0"
#define GICHECK_SYSREG_ICC_EOIR1_EL1	"S3_0_C12_C12_1"
#define GICHECK_SYSREG_ICC_HPPIR1_EL1	"S3_0_C12_C12_2"
#define GICHECK_SYSREG_ICC_BPR1_EL1	"S3_0_C12_C12_3"
#define GICHECK_SYSREG_ICC_CTLR_EL1	"S3_0_C12_C12_4"
#define GICHECK_SYSREG_ICC_SRE_EL1	"S3_0_C12_C12_5"
#define GICHECK_SYSREG_ICC_IGRPEN0_EL1	"S3_0_C12_C12_6"
#define GICHECK_SYSREG_ICC_IGRPEN1_EL1	"S3_0_C12_C12_7"

#if defined(__aarch64__)
#define gicheck_read_sysreg(reg)                                                   \
	({                                                                         \
		uint64_t __val;                                                    \
		__asm__ __volatile__("mrs %0, " GICHECK_SYSREG_##reg : "=r"(__val)); \
		__val;                                                             \
	})
#define gicheck_write_sysreg(reg, val)                                                          \
	do {                                                                                    \
		__asm__ __volatile__("msr " GICHECK_SYSREG_##reg ", %x0" : : "rZ"((uint64_t)(val))); \
		__asm__ __volatile__("isb" : : : "memory");                                     \
	} while (0)
#else
#error "gicheck-guest.h: system register accesses need an AArch64 guest"
#endif

#endif /* GICHECK_GUEST_H */
