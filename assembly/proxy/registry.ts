// Live contexts by the ids Envoy assigns, and the filter's root-context factory.
import { RootContext, ConnectionContext } from "./context";

/** Makes the filter's root context for an id Envoy assigned. */
export type RootContextFactory = (contextId: u32) => RootContext;

/** Set by registerRootContext; null makes plain RootContexts (which accept any configuration). */
export let rootContextFactory: RootContextFactory | null = null;
/** Live root contexts by id, until proxy_on_delete. */
export const rootContexts = new Map<u32, RootContext>();
/** Live connection contexts by id, until proxy_on_delete. */
export const connectionContexts = new Map<u32, ConnectionContext>();

/** Called once from the filter's top level, before Envoy creates any context. */
export function registerRootContext(factory: RootContextFactory): void {
  rootContextFactory = factory;
}
