// The shape every bounded label table of the filter shares (topics, client ids): a
// power-of-two table of label slots, open addressing, at least twice as many slots as
// labels so that probes stay short, and two fixed labels (an overflow label and one
// other) just past the hashed slots, so that nothing hashed can land on them. A label
// is a slot index: stat ids are kept in arrays indexed by it.

/** FNV-1a over bytes: the tables hash the bytes off the wire without decoding them. */
export const FNV_OFFSET: u32 = 2166136261;
/** 32-bit FNV prime (FNV-1a), with FNV_OFFSET above. */
export const FNV_PRIME: u32 = 16777619;

/**
 * A bounded label table: `maxLabels` entries get a label of their own (with an
 * allowlist, only those on it); `names` holds each label's text, `hashes` each slot's
 * hash. Subclasses own the lookup (what a key is, how it is compared) and call
 * `claim` to give a new key its label.
 */
export abstract class BoundedLabels {
  protected readonly names: StaticArray<string | null>;
  protected readonly hashes: StaticArray<u32>;
  protected readonly mask: i32;
  protected labelled: i32 = 0;
  /** The first fixed label (overflow: keys beyond maxLabels or off the allowlist). */
  readonly overflowLabel: i32;
  /** The second fixed label (its meaning is the subclass's). */
  protected readonly secondFixedLabel: i32;

  /**
   * `entries` sizes the table (maxLabels plus what else the subclass hashes);
   * `overflowName` and `secondName` are the fixed labels' texts.
   */
  constructor(protected readonly maxLabels: i32, protected readonly allowlisted: bool, entries: i32,
    overflowName: string, secondName: string) {
    let slots = 16;
    while (slots < entries * 2) slots <<= 1;
    this.names = new StaticArray<string | null>(slots + 2);
    this.hashes = new StaticArray<u32>(slots + 2);
    this.mask = slots - 1;
    this.overflowLabel = slots;
    this.secondFixedLabel = slots + 1;
    unchecked(this.names[slots] = overflowName);
    unchecked(this.names[slots + 1] = secondName);
  }

  /** Labels are below this. */
  get slotCount(): i32 {
    return this.names.length;
  }

  /** Distinct keys holding a label of their own (the fixed labels not counted). */
  get labelCount(): i32 {
    return this.labelled;
  }

  /** The label's text ("" for no label). */
  labelName(label: i32): string {
    if (label < 0 || label >= this.names.length) return "";
    const name = unchecked(this.names[label]);
    return name == null ? "" : name;
  }

  /** True while a new key may still get a label of its own (not allowlisted, below maxLabels). */
  protected get mayLabelMore(): bool {
    return !this.allowlisted && this.labelled < this.maxLabels;
  }

  /** Gives the empty `slot` to a key whose hash is `hash` and label text `name`. */
  protected claim(slot: i32, hash: u32, name: string): i32 {
    unchecked(this.names[slot] = name);
    unchecked(this.hashes[slot] = hash);
    this.labelled++;
    return slot;
  }
}
