// l2-hypercall: a user-space program of the nested lab's L2 guest (a Linux guest of KVM) that issues
// KVM_HC_SCHED_YIELD with `vmmcall` forever, with known arguments, so that a debugger of L2 can step onto
// a hypercall site, decode it, step over it and read the result (test/nested/guestHypercall.test.ts).
// Breakpoints do not fire in L2 under L0 TCG (README.md here); single-stepping does, and a tight loop
// means a vCPU stopped anywhere in this program is a few instructions away from the `vmmcall`.
//
// The loop:  RAX = 11 (KVM_HC_SCHED_YIELD), RBX = 0x1111, RCX = 0x2222, RDX = 0x3333, RSI = 0x4444;
//            vmmcall; jmp back.
// KVM answers a hypercall from CPL 3 with -KVM_EPERM (-1) in RAX (Linux arch/x86/kvm/x86.c,
// kvm_emulate_hypercall), and skips the instruction.
//
// Prints one line (init-l2 copies it to L2's console), then never returns:
//   HVDBG-L2 hcloop pid=<pid> start=0x<loop> vmmcall=0x<vmmcall> end=0x<after the loop>
// The addresses are fixed (a static, non-PIE executable) but printed so that nothing is hard-coded.
//
// Build: gcc -static -no-pie -O2 -o l2-hypercall l2-hypercall.c   (test/lab/nested/prepare.sh)
#include <stdio.h>
#include <unistd.h>

extern const unsigned char hc_loop[], hc_vmmcall[], hc_loop_end[];
__asm__(".text\n"
        ".globl hc_loop\n"
        ".type hc_loop, @function\n"
        "hc_loop:\n"
        "  mov $11, %eax\n"
        "  mov $0x1111, %ebx\n"
        "  mov $0x2222, %ecx\n"
        "  mov $0x3333, %edx\n"
        "  mov $0x4444, %esi\n"
        ".globl hc_vmmcall\n"
        "hc_vmmcall:\n"
        "  vmmcall\n"
        /* Every 1024 calls, a heartbeat line (write(2) straight from here): the test lets the guest run
           until the next one before it pauses, so it knows the loop runs. */
        "  inc %r12\n"
        "  test $0x3ff, %r12\n"
        "  jnz hc_loop\n"
        "  mov $1, %eax\n"
        "  mov $1, %edi\n"
        "  lea hc_alive(%rip), %rsi\n"
        "  mov $hc_alive_len, %edx\n"
        "  syscall\n"
        "  jmp hc_loop\n"
        ".globl hc_loop_end\n"
        "hc_loop_end:\n"
        ".size hc_loop, hc_loop_end - hc_loop\n"
        ".section .rodata\n"
        "hc_alive: .ascii \"HVDBG-L2 hc-alive\\n\"\n"
        ".set hc_alive_len, . - hc_alive\n"
        ".text\n");

int main(void) {
  printf("HVDBG-L2 hcloop pid=%d start=%p vmmcall=%p end=%p\n", (int)getpid(), (const void *)hc_loop,
         (const void *)hc_vmmcall, (const void *)hc_loop_end);
  fflush(stdout);
  ((void (*)(void))(const void *)hc_loop)();
  return 0;
}
