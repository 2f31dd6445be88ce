// Shared fixtures for the ACL specs: byte tokens from text, capturing sinks, a fixed
// property source and a topic-id table.
import { Uuid } from "../../../assembly/codec/types";
import { AclMetrics, AuditLog, Decision } from "../../../assembly/acl/audit";
import { TopicIdNames } from "../../../assembly/acl/authorizer";
import { Operation, ResourceType } from "../../../assembly/acl/model";
import { PropertySource } from "../../../assembly/acl/principal";

/** Bytes of `text` (UTF-8), with "\0" written as "|" so tokens read clearly in tests. */
export function token(text: string): ArrayBuffer {
  const bytes = String.UTF8.encode(text);
  const view = Uint8Array.wrap(bytes);
  for (let i = 0; i < view.length; i++) if (view[i] == 0x7c) view[i] = 0;
  return bytes;
}

export class CapturedAudit extends AuditLog {
  lines: string[] = [];
  write(line: string): void { this.lines.push(line); }
}

export class CountingMetrics extends AclMetrics {
  counts: Map<string, i32> = new Map<string, i32>();
  count(resourceType: ResourceType, operation: Operation, decision: Decision): void {
    const key = (<i32>resourceType).toString() + "/" + (<i32>operation).toString() + "/" + (<i32>decision).toString();
    this.counts.set(key, (this.counts.has(key) ? this.counts.get(key) : 0) + 1);
  }
  of(resourceType: ResourceType, operation: Operation, decision: Decision): i32 {
    const key = (<i32>resourceType).toString() + "/" + (<i32>operation).toString() + "/" + (<i32>decision).toString();
    return this.counts.has(key) ? this.counts.get(key) : 0;
  }
}

export class FixedProperties extends PropertySource {
  keys: string[] = [];
  values: string[] = [];
  reads: i32 = 0;
  with(path: string, value: string): FixedProperties {
    this.keys.push(path);
    this.values.push(value);
    return this;
  }
  get(path: string[]): string | null {
    this.reads++;
    const key = path.join(".");
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.values[i];
    return null;
  }
}

export class KnownTopics extends TopicIdNames {
  ids: Uuid[] = [];
  names: string[] = [];
  learn(id: Uuid, name: string): KnownTopics {
    this.ids.push(id);
    this.names.push(name);
    return this;
  }
  nameOf(id: Uuid): string | null {
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i].equals(id)) return this.names[i];
    return null;
  }
}
