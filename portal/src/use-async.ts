/**
 * useAsync: runs a loader when its dependencies change and exposes loading / error / data.
 * Answers that arrive after the session changed (StaleSessionError) are dropped, and a newer
 * load always wins over an older one, so a page never shows another identity's data.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { StaleSessionError } from './api/client.ts';

export interface AsyncState<T> {
  loading: boolean;
  error: Error | null;
  data: T | undefined;
  reload: () => void;
}

export function useAsync<T>(loader: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ loading: boolean; error: Error | null; data: T | undefined }>({
    loading: true,
    error: null,
    data: undefined,
  });
  const seq = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ loading: true, error: null, data: s.data }));
    loader().then(
      (data) => {
        if (mine === seq.current) setState({ loading: false, error: null, data });
      },
      (error: Error) => {
        if (error instanceof StaleSessionError) return;
        if (mine === seq.current) setState({ loading: false, error, data: undefined });
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
