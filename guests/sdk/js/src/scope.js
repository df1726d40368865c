// One request's lifetime: the WIT imports its bodies talk to, and whether the request is over.
//
// A warm instance serves many requests in turn, and the worker's module-level state lives on
// between them; a host body does not: it belongs to the request that made it. Every host-backed
// stream and each request's `env.ASSETS` carry their request's scope, so one kept in module
// state fails with a clear error in a later request instead of naming another request's body.

/** Something that belongs to a request that has ended was used in a later request. */
export class RequestEndedError extends TypeError {
  constructor(message) {
    super(message);
    this.name = "RequestEndedError";
  }
}

/** The request being served: the host its bodies are read through, until it ends. */
export class RequestScope {
  #host;
  #ended = false;

  /** `host`: the WIT imports (`size`, `read`, …, `assetsFetch`, `vars`, `kvGet`, …; faked in tests). */
  constructor(host) {
    this.#host = host;
  }

  /** Mark the request answered: what belongs to it can no longer reach the host. */
  end() {
    this.#ended = true;
  }

  /** The host, while the request runs; afterwards a RequestEndedError about `subject`. */
  host(subject, advice) {
    if (this.#ended) {
      throw new RequestEndedError(`${subject} belongs to an earlier request, which has ended: ${advice}`);
    }
    return this.#host;
  }
}
