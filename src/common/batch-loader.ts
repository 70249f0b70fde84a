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
 * Collects the items submitted in one turn of the event loop and hands them to `run` together (one statement for a
 * burst of writes instead of one transaction each); each caller gets its own item's result. A failure of the batch
 * fails every item of it.
 */
export class TurnBatcher<I, O> {
  private pending: Array<{ item: I; resolve(o: O): void; reject(e: unknown): void }> = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxItems = 500,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      if (!this.pending.length) setImmediate(() => this.flush());
      this.pending.push({ item, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += this.maxItems) {
      const slice = batch.slice(i, i + this.maxItems);
      this.run(slice.map((w) => w.item)).then(
        (results) => slice.forEach((w, j) => w.resolve(results[j])),
        (e: unknown) => slice.forEach((w) => w.reject(e)),
      );
    }
  }
}
