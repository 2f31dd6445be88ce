// Which client ids get their own `kafka_client_id` label (throttling stats).
//
// Client ids are whatever a client puts in its request header, so the labels are
// bounded like topic labels: the first `max_client_id_labels` distinct ids a VM sees
// (or only those of the `client_id_labels` allowlist) get a label, every other id
// shares `_other`, and a request without one counts under `_none`. Lookups hash and
// compare the raw header bytes and allocate nothing; the label text is made (and made
// safe as one stat-name segment) the first time an id gets a label.
import { BoundedLabels, FNV_OFFSET, FNV_PRIME } from "./labels";

/** Label for client ids beyond max_client_id_labels or off the client_id_labels allowlist. */
export const OVERFLOW_CLIENT_ID_LABEL = "_other";
/** Label for requests whose header has a null or empty client id. */
export const NO_CLIENT_ID_LABEL = "_none";
/** Longest label text; longer client ids are cut (and may then share a label). */
const MAX_LABEL_CHARS: i32 = 64;

/** The client id labels of one VM. A label is an index below slotCount. */
export class ClientIdLabels extends BoundedLabels {
  /** Each labelled slot's client id bytes, one per hashed slot (sized once super() has sized the table). */
  private keys!: StaticArray<ArrayBuffer | null>;

  /**
   * `maxLabels` distinct ids get a label (0: every id counts under `_other`); with an
   * `allowlist` (at most maxLabels ids, as clients send them) only those do.
   */
  constructor(maxLabels: i32, allowlist: string[] | null = null) {
    super(maxLabels, allowlist != null, maxLabels + 1, OVERFLOW_CLIENT_ID_LABEL, NO_CLIENT_ID_LABEL);
    this.keys = new StaticArray<ArrayBuffer | null>(this.mask + 1);
    if (allowlist != null) {
      for (let i = 0; i < allowlist.length && this.labelled < maxLabels; i++) {
        const key = String.UTF8.encode(allowlist[i]);
        this.labelOf(changetype<usize>(key), key.byteLength, true);
      }
    }
  }

  /** The label of requests without a client id (`_none`). */
  get noneLabel(): i32 {
    return this.secondFixedLabel;
  }

  /** The label of a client id given as `length` raw header bytes at `data` (length < 0: null). */
  labelOfBytes(data: usize, length: i32): i32 {
    if (length <= 0) return this.noneLabel;
    return this.labelOf(data, length, this.mayLabelMore);
  }

  private labelOf(data: usize, length: i32, mayAdd: bool): i32 {
    let hash = FNV_OFFSET;
    for (let i = 0; i < length; i++) hash = (hash ^ <u32>load<u8>(data + <usize>i)) * FNV_PRIME;
    let slot = <i32>hash & this.mask;
    while (true) {
      const key = unchecked(this.keys[slot]);
      if (key == null) break;
      if (unchecked(this.hashes[slot]) == hash && key.byteLength == length && memory.compare(changetype<usize>(key), data, <usize>length) == 0) {
        return slot;
      }
      slot = (slot + 1) & this.mask;
    }
    if (!mayAdd) return this.overflowLabel;
    const key = new ArrayBuffer(length);
    memory.copy(changetype<usize>(key), data, <usize>length);
    unchecked(this.keys[slot] = key);
    return this.claim(slot, hash, labelText(data, length));
  }
}

/** The client id as one stat-name segment: bytes outside [A-Za-z0-9_-] (dots too) become '_'. */
function labelText(data: usize, length: i32): string {
  const chars = min(length, MAX_LABEL_CHARS);
  let out = "";
  for (let i = 0; i < chars; i++) {
    const c = <u32>load<u8>(data + <usize>i);
    const plain = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f;
    out += plain ? String.fromCharCode(c) : "_";
  }
  return out;
}
