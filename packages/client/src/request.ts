// A typed call of the provider's `request` whose rejections are always `ReliableChannelProviderError`s
// (the provider's own are plain errors from another world; see errors.ts).

import type { MethodMap, MethodName, ReliableChannelProvider, RequestArguments } from "./api.js";
import { fromUnknown } from "./errors.js";

/**
 * `provider.request(args)`, typed by method (params and result from `MethodMap`), rejecting with
 * a `ReliableChannelProviderError` (`instanceof` works, `code` and `name` are the table's).
 */
export async function request<M extends MethodName>(provider: ReliableChannelProvider, args: RequestArguments<M>): Promise<MethodMap[M]["result"]> {
  try {
    return await provider.request(args);
  } catch (error) {
    throw fromUnknown(error);
  }
}
