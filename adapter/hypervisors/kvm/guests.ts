/**
 * KVM's guests as the debugged Linux kernel holds them, read through gdb expressions on kvm.ko and
 * kvm-amd.ko's DWARF: `vm_list` → `struct kvm` (its `vm_list` node) → `vcpu_array` (an xarray) →
 * `struct kvm_vcpu` → `struct vcpu_svm` (container_of) → the current VMCB (`svm->vmcb`): its control
 * area's nested paging enable and nCR3 (AMD APM Vol. 2 §15.25.3, Appendix B "VMCB Layout": NP_ENABLE
 * is bit 0 of offset 090h, N_CR3 is offset 0B0h), and its save area's CR0/CR3/CR4/EFER of the guest
 * (the state the processor stored at the last #VMEXIT). Linux 6.1: include/linux/kvm_host.h,
 * arch/x86/kvm/svm/svm.h.
 */

/** Evaluates a gdb expression and returns gdb's text for its value; rejects with gdb's message. */
export type Evaluate = (expression: string) => Promise<string>;

/** One vCPU of a KVM guest, with its current VMCB. */
export interface KvmVcpu {
  /** Index of the VM in `vm_list` order. */
  readonly vmIndex: number;
  /** Address of the `struct kvm`. */
  readonly vm: bigint;
  /** The VMM process (`kvm->userspace_pid`), when readable. */
  readonly pid?: number;
  /** `vcpu->vcpu_id`. */
  readonly vcpuId: number;
  /** Address of the `struct kvm_vcpu`. */
  readonly vcpu: bigint;
  /** Address (kernel virtual) of the current VMCB. */
  readonly vmcb: bigint;
  /** VMCB control `nested_ctl` bit 0 (NP_ENABLE). */
  readonly nestedPaging: boolean;
  /** VMCB control `nested_cr3` (N_CR3): the L1-physical root of the nested page table. */
  readonly nestedCr3: bigint;
  /** The guest's registers from the VMCB save area. */
  readonly guest: { readonly cr0: bigint; readonly cr3: bigint; readonly cr4: bigint; readonly efer: bigint };
}

export interface KvmGuests {
  readonly vcpus: KvmVcpu[];
  /** Why something could not be read (missing symbols, a VM that vanished...), for the user. */
  readonly problems: string[];
}

/** More VMs than this in `vm_list` means a corrupt list (or one being torn down while we read). */
const MAX_VMS = 64;
/** vCPUs read per VM: one xarray node's slots (XA_CHUNK_SIZE). */
const MAX_VCPUS = 64;

function parseNumber(text: string): bigint {
  const m = /(0x[0-9a-f]+|-?\d+)\s*$/i.exec(text.trim());
  if (m?.[1] === undefined) throw new Error(`gdb gave '${text}', not a number`);
  return BigInt.asUintN(64, BigInt(m[1]));
}

const ptr = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * Finds every vCPU of every KVM guest of the debugged kernel (SVM only: `struct vcpu_svm`). Never
 * throws for missing symbols or unreadable memory: those become `problems`.
 */
export async function findKvmGuests(evaluate: Evaluate): Promise<KvmGuests> {
  const num = async (expression: string): Promise<bigint> =>
    parseNumber(await evaluate(`(unsigned long long)(${expression})`));
  const problems: string[] = [];
  let head: bigint;
  let listOffset: bigint;
  try {
    head = await num('&vm_list');
    listOffset = await num('&((struct kvm *)0)->vm_list');
  } catch (error) {
    return {
      vcpus: [],
      problems: [
        `no KVM guests: the symbols of kvm.ko are not loaded (add kvm.ko with its load address to "symbolFiles"): ${message(error)}`,
      ],
    };
  }
  let svmOffset: bigint | undefined;
  try {
    svmOffset = await num('&((struct vcpu_svm *)0)->vcpu');
  } catch (error) {
    problems.push(
      `KVM guests found but their VMCBs cannot be read: struct vcpu_svm is unknown (add kvm-amd.ko to "symbolFiles"; Intel VMX is not supported): ${message(error)}`,
    );
  }
  const vcpus: KvmVcpu[] = [];
  let node = await num(`((struct list_head *)${ptr(head)})->next`).catch(() => head);
  for (let vmIndex = 0; node !== head && node !== 0n; vmIndex++) {
    if (vmIndex >= MAX_VMS) {
      problems.push(`vm_list has more than ${MAX_VMS} entries: stopped reading it`);
      break;
    }
    const vm = node - listOffset;
    try {
      for (const vcpu of await vmVcpus(num, vm)) {
        if (svmOffset === undefined) continue;
        vcpus.push(await svmVcpu(num, vmIndex, vm, vcpu, svmOffset));
      }
    } catch (error) {
      problems.push(`KVM VM ${ptr(vm)}: ${message(error)}`);
    }
    try {
      node = await num(`((struct list_head *)${ptr(node)})->next`);
    } catch (error) {
      problems.push(`vm_list: cannot follow the entry after ${ptr(node)}: ${message(error)}`);
      break;
    }
  }
  return { vcpus, problems };
}

/** The `struct kvm_vcpu` addresses of a VM: `vcpu_array` holds vCPU 0 directly in `xa_head`, or a node. */
async function vmVcpus(num: (e: string) => Promise<bigint>, vm: bigint): Promise<bigint[]> {
  const kvm = `((struct kvm *)${ptr(vm)})`;
  const online = Number(await num(`${kvm}->online_vcpus.counter`));
  const entry = await num(`${kvm}->vcpu_array.xa_head`);
  if (online <= 0 || entry === 0n) return [];
  // xa_is_node(): an internal entry (low bits 10) above 4096 (include/linux/xarray.h).
  if ((entry & 3n) !== 2n || entry <= 4096n) return [entry];
  const xaNode = `((struct xa_node *)${ptr(entry - 2n)})`;
  const count = Math.min(online, MAX_VCPUS);
  const slots = await Promise.all(Array.from({ length: count }, (_, i) => num(`${xaNode}->slots[${i}]`)));
  return slots.filter((s) => s !== 0n && (s & 3n) === 0n);
}

async function svmVcpu(
  num: (e: string) => Promise<bigint>,
  vmIndex: number,
  vm: bigint,
  vcpu: bigint,
  svmOffset: bigint,
): Promise<KvmVcpu> {
  const svm = `((struct vcpu_svm *)${ptr(vcpu - svmOffset)})`;
  const vmcb = await num(`${svm}->vmcb`);
  if (vmcb === 0n) throw new Error(`vCPU at ${ptr(vcpu)} has no VMCB`);
  const v = `((struct vmcb *)${ptr(vmcb)})`;
  const [vcpuId, nestedCtl, nestedCr3, cr0, cr3, cr4, efer, pid] = await Promise.all([
    num(`((struct kvm_vcpu *)${ptr(vcpu)})->vcpu_id`),
    num(`${v}->control.nested_ctl`),
    num(`${v}->control.nested_cr3`),
    num(`${v}->save.cr0`),
    num(`${v}->save.cr3`),
    num(`${v}->save.cr4`),
    num(`${v}->save.efer`),
    num(`((struct kvm *)${ptr(vm)})->userspace_pid`).catch(() => undefined),
  ]);
  return {
    vmIndex,
    vm,
    ...(pid === undefined ? {} : { pid: Number(pid) }),
    vcpuId: Number(vcpuId),
    vcpu,
    vmcb,
    nestedPaging: (nestedCtl & 1n) === 1n,
    nestedCr3,
    guest: { cr0, cr3, cr4, efer },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
