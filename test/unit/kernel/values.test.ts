import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addSymbolFileCommand, parseSectionArray } from '../../../adapter/kernel/modules';
import { classifyTarget, flattenStruct, formatParavirt, slotOf } from '../../../adapter/kernel/pvops';
import { parseAddress, parseCString } from '../../../adapter/kernel/target';

test('values gdb prints: C strings and addresses', () => {
  assert.equal(parseCString(`"kvm_amd", '\\000' <repeats 48 times>`), 'kvm_amd');
  assert.equal(parseCString('0xffffffffa9cde2ab "bare hardware"'), 'bare hardware');
  assert.equal(parseCString('0x0'), undefined);
  assert.equal(parseAddress('18446744072639406080'), 0xffffffffc036e000n);
  assert.equal(parseAddress('(void *) 0xffffffffc035f000'), 0xffffffffc035f000n);
  assert.equal(parseAddress('0xffffffffa9406030 <native_save_fl>'), 0xffffffffa9406030n);
  assert.equal(parseAddress('<optimized out>'), undefined);
});

// gdb 13's print of `sect_attrs->attrs[0]@3` for kvm_amd on the lab (Linux 6.1).
const SECTIONS =
  '{{battr = {attr = {name = 0xff115c1642291640 ".note.gnu.build-id", mode = 256}, size = 0, private = 0x0, f_mapping = 0x0, read = 0xffffffffa8b3b3b0 <module_sect_read>, write = 0x0, mmap = 0x0}, address = 18446744072639406080}, ' +
  '{battr = {attr = {name = 0xff115c1642291680 ".text", mode = 256}, size = 0, private = 0x0, f_mapping = 0x0, read = 0xffffffffa8b3b3b0 <module_sect_read>, write = 0x0, mmap = 0x0}, address = 18446744072639574016}, ' +
  '{battr = {attr = {name = 0xff115c16422916c0 ".data", mode = 256}, size = 0, private = 0x0, f_mapping = 0x0, read = 0xffffffffa8b3b3b0 <module_sect_read>, write = 0x0, mmap = 0x0}, address = 0xffffffffc03781c0}}';

test('module sections from sect_attrs, and the add-symbol-file line lx-symbols would run', () => {
  const sections = parseSectionArray(SECTIONS);
  assert.deepEqual(
    [...sections],
    [
      ['.note.gnu.build-id', 0xffffffffc036e000n],
      ['.text', 0xffffffffc0397000n],
      ['.data', 0xffffffffc03781c0n],
    ],
  );
  sections.set('.bss', 0xffffffffc0378dc0n);
  sections.set('.init.text', 0xffffffffc0380000n);
  assert.equal(
    addSymbolFileCommand('/dbg/kvm-amd.ko', 0xffffffffc035f000n, sections),
    'add-symbol-file /dbg/kvm-amd.ko 0xffffffffc0397000 -s .data 0xffffffffc03781c0 -s .bss 0xffffffffc0378dc0',
  );
  assert.equal(
    addSymbolFileCommand('/my dir/kvm.ko', 0xffffffffc0246000n, new Map()),
    'add-symbol-file "/my dir/kvm.ko" 0xffffffffc0246000',
  );
});

// gdb 13's print of `pv_ops` on the lab, shortened (all four groups, callee-save and nested slots).
const PV_OPS =
  '{cpu = {io_delay = 0xffffffffa803baa0 <native_io_delay>, alloc_ldt = 0xffffffffa8c019ca <_paravirt_nop>, write_msr = 0x0}, ' +
  'irq = {save_fl = {func = 0xffffffffa9406030 <native_save_fl>}, irq_disable = {func = 0xffffffffa9406980 <pv_native_irq_disable>}, safe_halt = 0xffffffffa9417a00 <native_safe_halt>}, ' +
  'mmu = {tlb_remove_table = 0xffffffffa8073950 <tlb_remove_page>, pte_val = {func = 0xffffffffa80736b0 <_paravirt_ident_64>}, lazy_mode = {enter = 0xffffffffa8c019ca <_paravirt_nop>, leave = 0xffffffffa8c019ca <_paravirt_nop>}, flush_tlb_multi = 0xffffffffa8073aa0 <kvm_flush_tlb_multi>}, ' +
  'lock = {queued_spin_unlock = {func = 0xffffffffa8073ca0 <__raw_callee_save___pv_queued_spin_unlock>}, vcpu_is_preempted = {func = 0xffffffffa8073cc2 <__raw_callee_save___kvm_vcpu_is_preempted>}, wait = 0xffffffffa8073d00 <kvm_wait+16>}}';

test('pv_ops slots, flattened in declaration order and classified', () => {
  const slots = flattenStruct(PV_OPS).map(([path, text]) => slotOf(path, text));
  assert.deepEqual(
    slots.map((s) => [s.slot, s.kind, s.target ?? '']),
    [
      ['cpu.io_delay', 'native', 'native_io_delay'],
      ['cpu.alloc_ldt', 'native', '_paravirt_nop'],
      ['cpu.write_msr', 'null', ''],
      ['irq.save_fl', 'native', 'native_save_fl'],
      ['irq.irq_disable', 'native', 'pv_native_irq_disable'],
      ['irq.safe_halt', 'native', 'native_safe_halt'],
      ['mmu.tlb_remove_table', 'other', 'tlb_remove_page'],
      ['mmu.pte_val', 'native', '_paravirt_ident_64'],
      ['mmu.lazy_mode.enter', 'native', '_paravirt_nop'],
      ['mmu.lazy_mode.leave', 'native', '_paravirt_nop'],
      ['mmu.flush_tlb_multi', 'paravirt', 'kvm_flush_tlb_multi'],
      ['lock.queued_spin_unlock', 'paravirt', '__raw_callee_save___pv_queued_spin_unlock'],
      ['lock.vcpu_is_preempted', 'paravirt', '__raw_callee_save___kvm_vcpu_is_preempted'],
      ['lock.wait', 'paravirt', 'kvm_wait+16'],
    ],
  );
  assert.equal(slots[0]?.address, '0xffffffffa803baa0');
  assert.equal(classifyTarget(0xffffffff81000000n, 'xen_write_cr3'), 'paravirt');
  assert.equal(classifyTarget(0xffffffff81000000n, 'vmware_sched_clock'), 'paravirt');
  assert.equal(classifyTarget(0xffffffff81000000n, 'hv_qlock_wait'), 'paravirt');
  assert.equal(classifyTarget(0xffffffff81000000n, '__raw_callee_save___native_vcpu_is_preempted'), 'native');
  assert.equal(classifyTarget(0xffffffff81000000n, undefined), 'other');
  const text = formatParavirt({ name: 'KVM', slots });
  assert.match(text, /^pv_info\.name: "KVM"\npv_ops: 14 slots \(8 native, 4 paravirt, 1 other, 1 null\)/);
  assert.match(text, /lock\.wait\s+paravirt\s+0xffffffffa8073d00\s+kvm_wait\+16/);
});
