// kvm-hypercall: a minimal VMM for the hvdbg lab. Runs inside the L1 guest (Linux + kvm_amd under
// QEMU TCG) and creates an L2 guest through /dev/kvm whose only job is to issue KVM hypercalls with
// `vmmcall`, forever (or for -n rounds). Each round:
//
//   KVM_HC_SCHED_YIELD (11)  a0 = 0 (destination APIC id)                        -> 0
//   KVM_HC_KICK_CPU    (5)   a0 = 0 (flags), a1 = 0 (APIC id)                    -> 0
//   unknown            (0x4711) a0..a3 = 0x1111, 0x2222, 0x3333, 0x4444          -> -KVM_ENOSYS (-1000)
//
// After each vmmcall the guest executes `out %al, $0x10` (KVM_EXIT_IO); the VMM then reads the guest's
// registers (rax = result, rdi = the number the guest asked for, rbx/rcx/rdx/rsi = a0..a3, which the
// hypercall preserves) and prints one line:
//
//   HVDBG-HC seq=<n> mode=<long|real> nr=<dec> a0=0x.. a1=0x.. a2=0x.. a3=0x.. ret=<signed dec> rax=0x..
//
// At the end of a round the guest executes `out %al, $0x11`; the VMM sleeps -p microseconds. Then the
// guest adds 1 to the 64-bit round counter at guest-physical 0x7010 (after the `out`, so that the
// hypercalls' RIPs do not move). At start the VMM writes "HVDBG-L2-PATTERN" (16 bytes) at guest-physical
// 0x7000: a debugger of L1 finds both through the nested page table (hvdbg's page-table tests).
//
// Usage: kvm-hypercall [-n rounds (0 = forever)] [-p pause_us (default 20000)] [-m long|real] [-q]
// Build: gcc -static -O2 -o kvm-hypercall kvm-hypercall.c
//
// KVM only acts on hypercalls from guest CPL 0 (else -KVM_EPERM); both modes run at CPL 0. With
// KVM_CAP_ENFORCE_PV_FEATURE_CPUID off (the default) guest_pv_has() is true for every feature, so
// KICK_CPU and SCHED_YIELD are allowed whatever the guest CPUID says.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x200000UL /* 2 MiB of guest RAM at GPA 0, identity mapped by one 2 MiB page */
#define PML4_GPA 0x1000UL
#define PDPT_GPA 0x2000UL
#define PD_GPA 0x3000UL
#define CODE_GPA 0x8000UL /* below 64 KiB so that real mode reaches it with CS = 0 */
#define STACK_GPA 0xf000UL
#define PATTERN_GPA 0x7000UL /* "HVDBG-L2-PATTERN", then the round counter (u64) at 0x7010 */
#define PATTERN "HVDBG-L2-PATTERN"
#define PORT_RESULT 0x10
#define PORT_ROUND 0x11

/* The guest code, assembled by gcc; only relative jumps, so it runs wherever it is copied. */
extern const unsigned char guest64[], guest64_end[], guest16[], guest16_end[];
#define HYPERCALL(nr, a0, a1, a2, a3)                                                                      \
  "mov $" #nr ", %edi\n mov %edi, %eax\n mov $" #a0 ", %ebx\n mov $" #a1 ", %ecx\n mov $" #a2         \
  ", %edx\n mov $" #a3 ", %esi\n vmmcall\n out %al, $0x10\n"
/* The round counter at 0x7010: absolute addresses (SIB disp32 in long mode, 16-bit with DS = 0 in real mode). */
#define COUNT64 "incq 0x7010\n"
#define COUNT16 "addl $1, 0x7010\n adcl $0, 0x7014\n"
#define ROUND(count)                                                                                       \
  "1:\n" HYPERCALL(11, 0, 0, 0, 0) HYPERCALL(5, 0, 0, 0, 0)                                                \
      HYPERCALL(0x4711, 0x1111, 0x2222, 0x3333, 0x4444) "out %al, $0x11\n" count "jmp 1b\n"
__asm__(".pushsection .rodata\n"
        ".code64\n"
        "guest64:\n" ROUND(COUNT64) "guest64_end:\n"
        ".code16\n"
        "guest16:\n" ROUND(COUNT16) "guest16_end:\n"
        ".code64\n"
        ".popsection\n");

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *what) {
  int r = ioctl(fd, req, arg);
  if (r < 0) {
    fprintf(stderr, "HVDBG-KVM error %s: %s\n", what, strerror(errno));
    exit(1);
  }
  return r;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code64, int db) {
  memset(s, 0, sizeof *s);
  s->base = 0;
  s->limit = 0xffffffff;
  s->selector = sel;
  s->type = type;
  s->present = 1;
  s->dpl = 0;
  s->db = db;
  s->s = 1;
  s->l = code64;
  s->g = 1;
}

int main(int argc, char **argv) {
  unsigned long rounds = 0, pause_us = 20000;
  int quiet = 0, real_mode = 0, opt;
  while ((opt = getopt(argc, argv, "n:p:m:q")) != -1) {
    switch (opt) {
    case 'n': rounds = strtoul(optarg, NULL, 0); break;
    case 'p': pause_us = strtoul(optarg, NULL, 0); break;
    case 'm': real_mode = strcmp(optarg, "real") == 0; break;
    case 'q': quiet = 1; break;
    default:
      fprintf(stderr, "usage: %s [-n rounds] [-p pause_us] [-m long|real] [-q]\n", argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    fprintf(stderr, "HVDBG-KVM error open /dev/kvm: %s\n", strerror(errno));
    return 1;
  }
  int vm = kvm_ioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");

  uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem};
  kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");

  const unsigned char *code = real_mode ? guest16 : guest64;
  size_t code_len = real_mode ? (size_t)(guest16_end - guest16) : (size_t)(guest64_end - guest64);
  memcpy(mem + CODE_GPA, code, code_len);
  memcpy(mem + PATTERN_GPA, PATTERN, 16);
  memset(mem + PATTERN_GPA + 16, 0, 8);

  int vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
  int run_size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
  struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) {
    perror("mmap kvm_run");
    return 1;
  }

  /* The guest CPUID must announce long mode, or KVM refuses EFER.LME in KVM_SET_SREGS. */
  int nent = 256;
  struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + (size_t)nent * sizeof(struct kvm_cpuid_entry2));
  cpuid->nent = (uint32_t)nent;
  kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid, "KVM_GET_SUPPORTED_CPUID");
  kvm_ioctl(vcpu, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");

  struct kvm_sregs sregs;
  kvm_ioctl(vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
  if (real_mode) {
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
  } else {
    uint64_t *pml4 = (uint64_t *)(mem + PML4_GPA), *pdpt = (uint64_t *)(mem + PDPT_GPA),
             *pd = (uint64_t *)(mem + PD_GPA);
    pml4[0] = PDPT_GPA | 0x3;  /* present, writable */
    pdpt[0] = PD_GPA | 0x3;
    pd[0] = 0x0 | 0x83;        /* present, writable, 2 MiB page */
    sregs.cr3 = PML4_GPA;
    sregs.cr4 = 1u << 5;       /* PAE */
    sregs.cr0 = 0x80050033;    /* PG | AM | WP | NE | ET | MP | PE */
    sregs.efer = 0x500;        /* LMA | LME */
    set_seg(&sregs.cs, 0x8, 11, 1, 0);
    set_seg(&sregs.ds, 0x10, 3, 0, 1);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
  }
  kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

  struct kvm_regs regs;
  memset(&regs, 0, sizeof regs);
  regs.rip = CODE_GPA;
  regs.rsp = STACK_GPA;
  regs.rflags = 0x2;
  kvm_ioctl(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");

  const char *mode = real_mode ? "real" : "long";
  printf("HVDBG-KVM start pid=%d mode=%s rounds=%lu pause_us=%lu\n", (int)getpid(), mode, rounds, pause_us);

  unsigned long seq = 0, done = 0;
  for (;;) {
    kvm_ioctl(vcpu, KVM_RUN, 0, "KVM_RUN");
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
      if (run->io.port == PORT_RESULT) {
        kvm_ioctl(vcpu, KVM_GET_REGS, &regs, "KVM_GET_REGS");
        seq++;
        long long ret = real_mode ? (long long)(int32_t)(uint32_t)regs.rax : (long long)regs.rax;
        if (!quiet)
          printf("HVDBG-HC seq=%lu mode=%s nr=%llu a0=0x%llx a1=0x%llx a2=0x%llx a3=0x%llx ret=%lld rax=0x%llx\n",
                 seq, mode, (unsigned long long)regs.rdi, (unsigned long long)regs.rbx,
                 (unsigned long long)regs.rcx, (unsigned long long)regs.rdx, (unsigned long long)regs.rsi, ret,
                 (unsigned long long)regs.rax);
      } else if (run->io.port == PORT_ROUND) {
        done++;
        if (rounds && done >= rounds) {
          printf("HVDBG-KVM done rounds=%lu hypercalls=%lu\n", done, seq);
          return 0;
        }
        if (pause_us)
          usleep((useconds_t)pause_us);
      } else {
        printf("HVDBG-KVM error unexpected io port 0x%x\n", run->io.port);
        return 1;
      }
      break;
    case KVM_EXIT_INTR:
      break;
    default:
      printf("HVDBG-KVM error exit_reason=%u (hw reason 0x%llx)\n", run->exit_reason,
             (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
      return 1;
    }
  }
}
