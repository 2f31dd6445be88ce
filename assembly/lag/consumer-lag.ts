// Consumer lag read off the wire, without asking the brokers: each Fetch request says
// where a consumer is (FetchOffset per partition), each Fetch response how far the log
// goes (HighWatermark, and LastStableOffset for read_committed consumers). A
// partition's lag is end - position in records, as `kafka-consumer-groups --describe`
// computes LAG (log end - committed offset) but with the consumer's fetch position.
//
// Shapes: every fetch connection keeps its partitions (FetchedPartitions) and
// contributes, per topic label, the sum and the max of their lags (a LagShare) to the
// series of its consumer: (consumer group if known, else client id; topic). A series is
// two gauges, the sum and the max over its shares. A connection is tied to a group by
// its client id, which it shares with the group membership requests the coordinator
// connection sends (JoinGroup, SyncGroup, Heartbeat, OffsetCommit, LeaveGroup,
// OffsetFetch, KIP-848 ConsumerGroupHeartbeat): member ids never appear on Fetch.
// Shares and partitions not refreshed for `expiryMs` stop counting (the consumer
// stopped fetching, or the partition was forgotten); sweep() is run on a timer.
// Everything is bounded: consumer labels (groups and client ids, with `_other`
// overflow), topic labels (metrics.topics), and partitions per connection.
import { ClientIdLabels } from "../client-ids";

/** How a series names its consumer. */
export const enum ConsumerBy { Group = 0, ClientId = 1 }

/** The lag part of the plugin configuration. */
export class LagOptions {
  enabled: bool = false;
  /** Distinct consumer groups, and distinct client ids of consumers without a known group, with a label each. */
  maxConsumerLabels: i32 = 100;
  /** A partition, or a consumer's share, not refreshed for this long stops counting. */
  expiryMs: i32 = 60000;
  /** Partitions one connection tracks; more are not counted. */
  maxPartitionsPerConnection: i32 = 4096;
}

/** Defines and moves the lag gauges (metrics.ts); tests record instead. */
export abstract class LagGauges {
  /** Defines the max and sum gauges of a series; returns their ids (max, then sum). */
  abstract define(by: ConsumerBy, consumer: string, topicLabel: i32): StaticArray<u32>;
  /** Moves a sum gauge by `delta` records: every table's sum adds up to the series' sum. */
  abstract adjust(id: u32, delta: i64): void;
  /**
   * This table's max of a series is now `max` records (0: it has none). The gauge shows
   * the largest of every table's, across Envoy's workers (lag/shared-max.ts).
   */
  abstract setMax(id: u32, max: i64): void;
  /**
   * This table still holds `max` (> 0) for the series at `nowMs`: called from every sweep,
   * so a max that stopped changing does not age out of what the other workers see.
   */
  abstract refreshMax(id: u32, max: i64, nowMs: i64): void;
}

/**
 * Where the client id → group ties are shared between the VMs of one Envoy (one per
 * worker): a consumer's coordinator connection and its fetch connections may land on
 * different workers. metrics.ts keeps them in proxy-wasm shared data; tests in a map.
 */
export abstract class SharedTies {
  /** Records that the client with `clientId` (raw bytes) is a member of `groupId` (raw bytes). */
  abstract publish(clientId: usize, clientIdLength: i32, groupId: usize, groupIdLength: i32): void;
  /** The group id bytes another VM recorded for `clientId`, or null. */
  abstract lookup(clientId: usize, clientIdLength: i32): ArrayBuffer | null;
}

/** A fetch connection not tied to a group asks the other VMs at most this often. */
const SHARED_LOOKUP_INTERVAL_MS: i64 = 5000;

/** One (consumer, topic) series: its gauges and the shares that make it. */
export class LagSeries {
  readonly shares: Array<LagShare> = new Array<LagShare>();
  reportedMax: i64 = 0;
  reportedSum: i64 = 0;
  /** `maxId` and `sumId` are the proxy-wasm metric ids of the series' max and sum gauges (records). */
  constructor(readonly maxId: u32, readonly sumId: u32) {}

  /** Brings both gauges to the shares' current max and sum. */
  report(gauges: LagGauges): void {
    let max: i64 = 0;
    let total: i64 = 0;
    for (let i = 0, n = this.shares.length; i < n; i++) {
      const share = unchecked(this.shares[i]);
      total += share.sum;
      if (share.max > max) max = share.max;
    }
    if (max != this.reportedMax) gauges.setMax(this.maxId, max);
    if (total != this.reportedSum) gauges.adjust(this.sumId, total - this.reportedSum);
    this.reportedMax = max;
    this.reportedSum = total;
  }
}

/** One connection's part of a series: the sum and max lag of its partitions of the topic. */
export class LagShare {
  sum: i64 = 0;
  max: i64 = 0;
  updatedMs: i64 = 0;
  attached: bool = false;
  pendingSum: i64 = 0;
  pendingMax: i64 = 0;
  pendingLive: bool = false;
  /** `topicLabel` is the series' topic label (metrics.topics); the share starts detached. */
  constructor(readonly series: LagSeries, readonly topicLabel: i32) {}
}

const NO_PARTITION: i32 = -1;
const INITIAL_SLOTS: i32 = 16;

/** A fetch connection's partitions: open addressing by (topic key, partition), grown by doubling up to a cap. */
export class FetchedPartitions {
  keyHi: StaticArray<u64> = new StaticArray<u64>(INITIAL_SLOTS);
  keyLo: StaticArray<u64> = new StaticArray<u64>(INITIAL_SLOTS);
  partition: StaticArray<i32> = emptyPartitions(INITIAL_SLOTS);
  topicLabel: StaticArray<i32> = new StaticArray<i32>(INITIAL_SLOTS);
  fetchOffset: StaticArray<i64> = new StaticArray<i64>(INITIAL_SLOTS);
  highWatermark: StaticArray<i64> = new StaticArray<i64>(INITIAL_SLOTS);
  lastStable: StaticArray<i64> = new StaticArray<i64>(INITIAL_SLOTS);
  seenMs: StaticArray<i64> = new StaticArray<i64>(INITIAL_SLOTS);
  count: i32 = 0;
  /** Partitions not tracked because the table was at its cap. */
  untracked: i64 = 0;

  /**
   * `maxPartitions`: the cap (consumer_lag.max_partitions_per_connection); beyond it partitions count as `untracked`.
   */
  constructor(private readonly maxPartitions: i32) {}

  /** Slots allocated (a power of two, grown by doubling up to the cap). */
  get slots(): i32 {
    return this.partition.length;
  }

  /** The slot of (key, partition), or -1; `add` inserts it when absent (unless at the cap). */
  slotOf(hi: u64, lo: u64, partition: i32, add: bool): i32 {
    if (partition < 0) return -1;
    if (add && (this.count + 1) * 2 > this.slots && this.count < this.maxPartitions) this.grow();
    const mask = this.slots - 1;
    let slot = <i32>((hi ^ (lo * 0x9e3779b97f4a7c15) ^ (<u64>partition * 0xff51afd7ed558ccd)) >>> 33) & mask;
    while (true) {
      const held = unchecked(this.partition[slot]);
      if (held == NO_PARTITION) break;
      if (held == partition && unchecked(this.keyHi[slot]) == hi && unchecked(this.keyLo[slot]) == lo) return slot;
      slot = (slot + 1) & mask;
    }
    if (!add) return -1;
    if (this.count >= this.maxPartitions || (this.count + 1) * 2 > this.slots) {
      this.untracked++;
      return -1;
    }
    unchecked(this.partition[slot] = partition);
    unchecked(this.keyHi[slot] = hi);
    unchecked(this.keyLo[slot] = lo);
    unchecked(this.fetchOffset[slot] = -1);
    unchecked(this.highWatermark[slot] = -1);
    unchecked(this.lastStable[slot] = -1);
    unchecked(this.seenMs[slot] = 0);
    this.count++;
    return slot;
  }

  /** Forgets every partition (a full fetch lists all the consumer wants). Keeps the slots. */
  clear(): void {
    const partitions = this.partition;
    for (let i = 0, n = partitions.length; i < n; i++) unchecked(partitions[i] = NO_PARTITION);
    this.count = 0;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const slots = oldSlots * 2;
    const keyHi = this.keyHi, keyLo = this.keyLo, partition = this.partition, topicLabel = this.topicLabel;
    const fetchOffset = this.fetchOffset, highWatermark = this.highWatermark, lastStable = this.lastStable, seenMs = this.seenMs;
    this.keyHi = new StaticArray<u64>(slots);
    this.keyLo = new StaticArray<u64>(slots);
    this.partition = emptyPartitions(slots);
    this.topicLabel = new StaticArray<i32>(slots);
    this.fetchOffset = new StaticArray<i64>(slots);
    this.highWatermark = new StaticArray<i64>(slots);
    this.lastStable = new StaticArray<i64>(slots);
    this.seenMs = new StaticArray<i64>(slots);
    this.count = 0;
    for (let i = 0; i < oldSlots; i++) {
      const p = unchecked(partition[i]);
      if (p == NO_PARTITION) continue;
      const slot = this.slotOf(unchecked(keyHi[i]), unchecked(keyLo[i]), p, true);
      unchecked(this.topicLabel[slot] = unchecked(topicLabel[i]));
      unchecked(this.fetchOffset[slot] = unchecked(fetchOffset[i]));
      unchecked(this.highWatermark[slot] = unchecked(highWatermark[i]));
      unchecked(this.lastStable[slot] = unchecked(lastStable[i]));
      unchecked(this.seenMs[slot] = unchecked(seenMs[i]));
    }
  }
}

function emptyPartitions(slots: i32): StaticArray<i32> {
  const partitions = new StaticArray<i32>(slots);
  for (let i = 0; i < slots; i++) unchecked(partitions[i] = NO_PARTITION);
  return partitions;
}

/** Consumer lag of one VM: consumer labels, the client id → group ties, the series. */
export class ConsumerLagTable {
  readonly groups: ClientIdLabels;
  readonly clientIds: ClientIdLabels;
  /** Client ids seen in group membership requests, and the group label of each. */
  private readonly members: ClientIdLabels;
  private readonly groupOfMember: StaticArray<i32>;
  /** Series by (by, consumer label, topic label). */
  private readonly series: Map<i64, LagSeries> = new Map<i64, LagSeries>();
  private readonly allSeries: Array<LagSeries> = new Array<LagSeries>();

  /** `ties` shares client id → group ties with the other VMs (null: this VM's ties only, as in tests). */
  constructor(readonly options: LagOptions, private readonly gauges: LagGauges, private readonly ties: SharedTies | null = null) {
    this.groups = new ClientIdLabels(options.maxConsumerLabels);
    this.clientIds = new ClientIdLabels(options.maxConsumerLabels);
    // Members are not labels: enough room for every member of the labelled groups, and more.
    const members = new ClientIdLabels(options.maxConsumerLabels * 16);
    this.members = members;
    const groupOfMember = new StaticArray<i32>(members.slotCount);
    for (let i = 0; i < groupOfMember.length; i++) unchecked(groupOfMember[i] = -1);
    this.groupOfMember = groupOfMember;
  }

  /**
   * A group membership request: the client with this client id belongs to this group.
   * A new or changed tie is shared with the other VMs (`share`), once.
   */
  learnMember(clientId: usize, clientIdLength: i32, groupId: usize, groupIdLength: i32, share: bool = true): void {
    if (clientIdLength <= 0 || groupIdLength <= 0) return;
    const member = this.members.labelOfBytes(clientId, clientIdLength);
    if (member == this.members.overflowLabel) return;
    const group = this.groups.labelOfBytes(groupId, groupIdLength);
    if (unchecked(this.groupOfMember[member]) == group) return;
    unchecked(this.groupOfMember[member] = group);
    const ties = this.ties;
    if (share && ties != null) ties.publish(clientId, clientIdLength, groupId, groupIdLength);
  }

  /** Looks for a tie another VM learned; true when it found one (now known here too). */
  learnShared(clientId: usize, clientIdLength: i32): bool {
    const ties = this.ties;
    if (ties == null || clientIdLength <= 0) return false;
    const group = ties.lookup(clientId, clientIdLength);
    if (group == null || group.byteLength == 0) return false;
    this.learnMember(clientId, clientIdLength, changetype<usize>(group), group.byteLength, false);
    return this.groupOf(clientId, clientIdLength) >= 0;
  }

  /** The group label of a client id, or -1 when no membership request named it. */
  groupOf(clientId: usize, clientIdLength: i32): i32 {
    if (clientIdLength <= 0) return -1;
    const member = this.members.labelOfBytes(clientId, clientIdLength);
    if (member == this.members.overflowLabel || member == this.members.noneLabel) return -1;
    return unchecked(this.groupOfMember[member]);
  }

  /** The series of (consumer, topic label), defined the first time it is needed. */
  seriesOf(by: ConsumerBy, consumer: i32, topicLabel: i32): LagSeries {
    const key = (<i64>by << 62) | (<i64>consumer << 32) | <i64>(<u32>topicLabel);
    if (this.series.has(key)) return this.series.get(key);
    const name = by == ConsumerBy.Group ? this.groups.labelName(consumer) : this.clientIds.labelName(consumer);
    const ids = this.gauges.define(by, name, topicLabel);
    const series = new LagSeries(ids[0], ids[1]);
    this.series.set(key, series);
    this.allSeries.push(series);
    return series;
  }

  /** Adds `share` to its series (once); the caller reports the series after. */
  attach(share: LagShare): void {
    if (share.attached) return;
    share.attached = true;
    share.series.shares.push(share);
  }

  /** Takes `share` out of its series (once) and moves the series' gauges to the rest. */
  detach(share: LagShare): void {
    if (!share.attached) return;
    share.attached = false;
    const shares = share.series.shares;
    const at = shares.indexOf(share);
    if (at >= 0) {
      unchecked(shares[at] = unchecked(shares[shares.length - 1]));
      shares.pop();
    }
    share.series.report(this.gauges);
  }

  /** Brings the series' gauges to its shares' current max and sum. */
  report(series: LagSeries): void {
    series.report(this.gauges);
  }

  /**
   * Drops the shares not refreshed for expiryMs (consumers that stopped fetching), moving
   * the gauges, and keeps the other series' max fresh for the other workers (refreshMax).
   */
  sweep(nowMs: i64): void {
    const oldest = nowMs - <i64>this.options.expiryMs;
    for (let i = 0, n = this.allSeries.length; i < n; i++) {
      const series = unchecked(this.allSeries[i]);
      const shares = series.shares;
      let changed = false;
      for (let j = shares.length - 1; j >= 0; j--) {
        const share = unchecked(shares[j]);
        if (share.updatedMs >= oldest) continue;
        share.attached = false;
        unchecked(shares[j] = unchecked(shares[shares.length - 1]));
        shares.pop();
        changed = true;
      }
      if (changed) series.report(this.gauges);
      // Also after a report: one that left the max unchanged wrote nothing (refreshMax skips
      // a write made within the last quarter of expiry_ms).
      if (series.reportedMax > 0) this.gauges.refreshMax(series.maxId, series.reportedMax, nowMs);
    }
  }

  /**
   * Takes this table's whole contribution out of the shared Envoy gauges and forgets its
   * shares: called when Envoy is done with the configuration that owns the table (a
   * reload or removal). The gauges are shared by every VM and configuration that defines
   * the same names, and only this table knows what it added, so without this a replaced
   * configuration's last values would stay in them for good (its timer, which expires
   * shares, stops with it). A connection still fetching re-attaches at its next update.
   */
  withdraw(): void {
    for (let i = 0, n = this.allSeries.length; i < n; i++) {
      const series = unchecked(this.allSeries[i]);
      const shares = series.shares;
      for (let j = 0, m = shares.length; j < m; j++) unchecked(shares[j]).attached = false;
      shares.length = 0;
      series.report(this.gauges);
    }
  }

  /** Series defined so far ((consumer, topic) pairs); they are never removed, their gauges fall to 0. */
  get seriesCount(): i32 {
    return this.allSeries.length;
  }
}

/**
 * One fetch connection's consumer lag: fed by its Fetch requests and responses; its
 * shares stay in their series after it closes, until they expire.
 */
export class ConnectionLag {
  readonly partitions: FetchedPartitions;
  private by: ConsumerBy = ConsumerBy.ClientId;
  private consumer: i32 = -1;
  private readCommitted: bool = false;
  /** The connection's shares, one per topic label it fetches, and the same by label. */
  private readonly shares: Array<LagShare> = new Array<LagShare>();
  private readonly shareByTopic: Map<i32, LagShare> = new Map<i32, LagShare>();
  /** The connection's client id as sent, to find its group. */
  private clientId: ArrayBuffer | null = null;
  /** When this connection last asked the other VMs for its group. */
  private sharedLookupMs: i64 = -SHARED_LOOKUP_INTERVAL_MS;
  nowMs: i64 = 0;

  /** Bounded by the table's options.maxPartitionsPerConnection. */
  constructor(private readonly table: ConsumerLagTable) {
    this.partitions = new FetchedPartitions(table.options.maxPartitionsPerConnection);
  }

  /** Keeps the connection's client id (once; clients keep one per connection). */
  noteClientId(data: usize, length: i32): void {
    if (this.clientId != null || length <= 0) return;
    const copy = new ArrayBuffer(length);
    memory.copy(changetype<usize>(copy), data, <usize>length);
    this.clientId = copy;
  }

  /** A Fetch request begins; see FetchRequestSink.fetchStarted. */
  fetchStarted(readCommitted: bool, full: bool, nowMs: i64): void {
    this.nowMs = nowMs;
    this.readCommitted = readCommitted;
    this.resolveConsumer();
    if (full) this.partitions.clear();
  }

  /**
   * A Fetch request's FetchOffset (the consumer's position, in offsets) for one partition; `hi`/`lo` key the topic
   * (KafkaBodyWalker). Past the cap, ignored.
   */
  fetchOffset(label: i32, hi: u64, lo: u64, partition: i32, offset: i64): void {
    const partitions = this.partitions;
    const slot = partitions.slotOf(hi, lo, partition, true);
    if (slot < 0) return;
    unchecked(partitions.topicLabel[slot] = label);
    unchecked(partitions.fetchOffset[slot] = offset);
    unchecked(partitions.seenMs[slot] = this.nowMs);
  }

  /**
   * A Fetch response partition's HighWatermark and LastStableOffset (offsets; -1 unknown) at `nowMs`;
   * ignored for a partition this connection did not ask for, or one answered with an error.
   */
  fetchedPartition(hi: u64, lo: u64, partition: i32, errorCode: i16, highWatermark: i64, lastStable: i64, nowMs: i64): void {
    const partitions = this.partitions;
    const slot = partitions.slotOf(hi, lo, partition, false);
    if (slot < 0) return;
    // An error partition (NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, ...) says nothing about the log end.
    if (errorCode != 0 || highWatermark < 0) return;
    unchecked(partitions.highWatermark[slot] = highWatermark);
    unchecked(partitions.lastStable[slot] = lastStable);
    unchecked(partitions.seenMs[slot] = nowMs);
  }

  /** A Fetch response ended (or the timer fired): recomputes this connection's shares and their gauges. */
  update(nowMs: i64): void {
    if (this.consumer < 0) return;
    const shares = this.shares;
    for (let i = 0, n = shares.length; i < n; i++) {
      const share = unchecked(shares[i]);
      share.pendingSum = 0;
      share.pendingMax = 0;
      share.pendingLive = false;
    }
    const p = this.partitions;
    const oldest = nowMs - <i64>this.table.options.expiryMs;
    for (let slot = 0, n = p.slots; slot < n; slot++) {
      if (unchecked(p.partition[slot]) < 0 || unchecked(p.seenMs[slot]) < oldest) continue;
      const position = unchecked(p.fetchOffset[slot]);
      let end = unchecked(p.highWatermark[slot]);
      if (this.readCommitted && unchecked(p.lastStable[slot]) >= 0) end = unchecked(p.lastStable[slot]);
      if (position < 0 || end < 0) continue;
      const lag = end > position ? end - position : 0;
      const share = this.shareOf(unchecked(p.topicLabel[slot]));
      share.pendingSum += lag;
      if (lag > share.pendingMax) share.pendingMax = lag;
      share.pendingLive = true;
    }
    const table = this.table;
    for (let i = 0, n = shares.length; i < n; i++) {
      const share = unchecked(shares[i]);
      if (!share.pendingLive) continue;
      share.updatedMs = nowMs;
      if (share.attached && share.sum == share.pendingSum && share.max == share.pendingMax) continue;
      share.sum = share.pendingSum;
      share.max = share.pendingMax;
      table.attach(share);
      table.report(share.series);
    }
  }

  private shareOf(topicLabel: i32): LagShare {
    const byTopic = this.shareByTopic;
    if (byTopic.has(topicLabel)) return byTopic.get(topicLabel);
    const share = new LagShare(this.table.seriesOf(this.by, this.consumer, topicLabel), topicLabel);
    this.shares.push(share);
    byTopic.set(topicLabel, share);
    return share;
  }

  /** Ties the connection to its group once a membership request named its client id; until then, to the client id. */
  private resolveConsumer(): void {
    if (this.by == ConsumerBy.Group && this.consumer >= 0) return;
    const clientId = this.clientId;
    const data: usize = clientId == null ? 0 : changetype<usize>(clientId);
    const length = clientId == null ? -1 : clientId.byteLength;
    let group = this.table.groupOf(data, length);
    if (group < 0 && this.nowMs - this.sharedLookupMs >= SHARED_LOOKUP_INTERVAL_MS) {
      this.sharedLookupMs = this.nowMs;
      if (this.table.learnShared(data, length)) group = this.table.groupOf(data, length);
    }
    if (group >= 0) {
      if (this.consumer >= 0) this.withdraw();
      this.by = ConsumerBy.Group;
      this.consumer = group;
    } else if (this.consumer < 0) {
      this.by = ConsumerBy.ClientId;
      this.consumer = this.table.clientIds.labelOfBytes(data, length);
    }
  }

  /** Takes this connection's shares out of their series (its consumer changed). */
  private withdraw(): void {
    const shares = this.shares;
    for (let i = 0, n = shares.length; i < n; i++) this.table.detach(unchecked(shares[i]));
    shares.length = 0;
    this.shareByTopic.clear();
  }
}
