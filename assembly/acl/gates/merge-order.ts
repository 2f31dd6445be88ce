// Where a merger puts the filter's answers for refused entries among the broker's own,
// so a merged response lists entries in the order Kafka's answer would (Kafka 4.3.1:
// KafkaApis, ControllerApis, ConfigAdminManager). Clients match entries by key, but
// the proxy changes no more than its decision requires, order included.

/**
 * `denied`, then `listed`: for APIs where Kafka adds each refused entry while it scans
 * the request and the coordinator's or controller's answers after (DescribeGroups and
 * the consumer/share/streams group describes, CreatePartitions). Returns `listed`
 * itself when nothing was denied.
 */
export function deniedFirst<T>(denied: Array<T>, listed: Array<T>): Array<T> {
  if (denied.length == 0) return listed;
  return denied.concat(listed);
}

/**
 * Request order, for APIs Kafka answers entry by entry as the request lists them
 * (DescribeProducers, DescribeTransactions, and AlterConfigs/IncrementalAlterConfigs,
 * which a broker reassembles in request order). `deniedAt[i]` says whether the i-th
 * requested entry was refused: refused ones are taken from `denied`, the others from
 * `listed` (the broker's answers to the forwarded entries, in their order). Anything
 * left over in either list follows, so no entry is ever lost.
 */
export function inRequestOrder<T>(deniedAt: Array<bool>, denied: Array<T>, listed: Array<T>): Array<T> {
  const out = new Array<T>();
  let d = 0;
  let l = 0;
  for (let i = 0, n = deniedAt.length; i < n; i++) {
    if (unchecked(deniedAt[i])) {
      if (d < denied.length) out.push(unchecked(denied[d++]));
    } else if (l < listed.length) {
      out.push(unchecked(listed[l++]));
    }
  }
  while (l < listed.length) out.push(unchecked(listed[l++]));
  while (d < denied.length) out.push(unchecked(denied[d++]));
  return out;
}
