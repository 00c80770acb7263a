/** The part of autocannon's API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Requests per second over all connections (a fixed rate instead of as fast as the server answers). */
    overallRate?: number;
    headers?: Record<string, string>;
    /** Requests sent in turn on each connection; setupRequest may rewrite each one before it is sent. */
    requests?: {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      /** `context` is per connection, kept between its requests and answers. */
      setupRequest?: (request: RequestShape, context: Record<string, unknown>) => RequestShape;
      onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
    }[];
  }
  interface RequestShape {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Result {
    requests: { average: number; total: number };
    statusCodeStats: Record<string, { count: number }>;
    errors: number;
    timeouts: number;
    /** Response times, ms. */
    latency: { p50: number; p99: number; average: number };
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
