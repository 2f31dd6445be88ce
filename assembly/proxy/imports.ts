// Host functions of the proxy-wasm ABI 0.2.1 that this filter calls.
// Signatures follow the ABI specification; every call returns a WasmResult code
// (0 = Ok) unless noted. Only what a network filter needs is declared, so the
// module imports nothing a host might be missing.

@external("env", "proxy_log")
export declare function proxy_log(level: u32, messagePtr: usize, messageSize: usize): u32;

@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(levelPtr: usize): u32;

@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(timePtr: usize): u32;

@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(
  bufferType: u32, start: u32, length: u32, returnPtrPtr: usize, returnSizePtr: usize,
): u32;

@external("env", "proxy_get_property")
export declare function proxy_get_property(
  pathPtr: usize, pathSize: usize, returnPtrPtr: usize, returnSizePtr: usize,
): u32;

@external("env", "proxy_close_stream")
export declare function proxy_close_stream(streamType: u32): u32;

@external("env", "proxy_define_metric")
export declare function proxy_define_metric(
  metricType: u32, namePtr: usize, nameSize: usize, returnMetricIdPtr: usize,
): u32;

@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metricId: u32, offset: i64): u32;

@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metricId: u32, value: u64): u32;

@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metricId: u32, returnValuePtr: usize): u32;

@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(
  bufferType: u32, start: u32, length: u32, dataPtr: usize, dataSize: usize,
): u32;

@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(
  keyPtr: usize, keySize: usize, returnValuePtrPtr: usize, returnValueSizePtr: usize, returnCasPtr: usize,
): u32;

@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(
  keyPtr: usize, keySize: usize, valuePtr: usize, valueSize: usize, cas: u32,
): u32;

@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(periodMilliseconds: u32): u32;
