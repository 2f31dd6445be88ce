// Live contexts by the ids Envoy assigns, and the filter's root-context factory.
import { RootContext, ConnectionContext } from "./context";

export type RootContextFactory = (contextId: u32) => RootContext;

export let rootContextFactory: RootContextFactory | null = null;
export const rootContexts = new Map<u32, RootContext>();
export const connectionContexts = new Map<u32, ConnectionContext>();

/** Called once from the filter's top level, before Envoy creates any context. */
export function registerRootContext(factory: RootContextFactory): void {
  rootContextFactory = factory;
}
