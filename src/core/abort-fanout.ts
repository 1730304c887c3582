/**
 * Child signals of one parent with a single listener on the parent. Many transfers of one call
 * (uploads side by side, downloads of one message) each put their own listeners on the signal they
 * are given; on one shared signal a dozen links made Node print MaxListenersExceededWarning, and a
 * library must stay quiet. Each transfer gets a child signal instead.
 */
export interface AbortFanOut {
  /** A signal that aborts with the parent; `release` once the transfer is over. */
  child(): { signal: AbortSignal; release(): void };
  dispose(): void;
}

export function abortFanOut(parent: AbortSignal): AbortFanOut {
  const children = new Set<AbortController>();
  const onAbort = () => {
    for (const c of children) c.abort(parent.reason);
  };
  parent.addEventListener("abort", onAbort, { once: true });
  return {
    child() {
      const c = new AbortController();
      if (parent.aborted) c.abort(parent.reason);
      children.add(c);
      return { signal: c.signal, release: () => void children.delete(c) };
    },
    dispose: () => parent.removeEventListener("abort", onAbort),
  };
}
