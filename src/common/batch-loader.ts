/**
 * Collects the keys asked for in one turn of the event loop and fetches them with one query (the DataLoader
 * pattern). A burst of events (an intake batch, a batch of claims) then costs one read instead of one per event.
 */
export class BatchLoader<K, V> {
  private pending = new Map<K, Array<{ resolve(v: V | undefined): void; reject(e: unknown): void }>>();
  private scheduled = false;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxKeys = 500,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxKeys) {
      const slice = keys.slice(i, i + this.maxKeys);
      this.fetch(slice).then(
        (found) => slice.forEach((k) => batch.get(k)!.forEach((w) => w.resolve(found.get(k)))),
        (e: unknown) => slice.forEach((k) => batch.get(k)!.forEach((w) => w.reject(e))),
      );
    }
  }
}

/**
 * Group commit for any unit of work: items pushed in one turn of the event loop wait for the end of that turn and go
 * to `run` together, at most `maxGroup` at a time, with at most `maxRunning` groups in flight; when a group ends, what
 * arrived meanwhile starts at once. Waiting for the rest of the turn matters: the answers of one group come back as a
 * burst of new requests, and taking the first of them alone into a free slot would cost a whole transaction for one
 * item. Adds no timer, only the rest of the turn. `run` settles its items itself and must not reject.
 */
export class GroupQueue<I> {
  private readonly waiting: I[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (group: I[]) => Promise<void>,
    private readonly limits: { maxGroup: number; maxRunning: number },
  ) {}

  push(item: I): void {
    this.waiting.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limits.maxRunning && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.limits.maxGroup);
      this.running++;
      void this.run(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}

/**
 * A GroupQueue whose items each get their own result: `run` maps the group's items to their results in order (one
 * statement for a burst of writes instead of one transaction each). A failure of the group fails every item of it.
 */
export class TurnBatcher<I, O> {
  private readonly queue: GroupQueue<{ item: I; resolve(o: O): void; reject(e: unknown): void }>;

  constructor(run: (items: I[]) => Promise<O[]>, maxItems = 500) {
    this.queue = new GroupQueue(
      (group) =>
        run(group.map((w) => w.item)).then(
          (results) => group.forEach((w, j) => w.resolve(results[j])),
          (e: unknown) => group.forEach((w) => w.reject(e)),
        ),
      { maxGroup: maxItems, maxRunning: Number.POSITIVE_INFINITY },
    );
  }

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => this.queue.push({ item, resolve, reject }));
  }
}
