import { useEffect, useRef, useState } from "preact/hooks";
import { setTokenPrompt } from "../api";

interface Ask {
  refusal: string;
  resolve: (token: string | null) => void;
}

/**
 * Asks for the API token when the server answers 401, showing its refusal ("missing API token…"
 * the first time, "wrong API token" after a wrong one). The token is kept in sessionStorage.
 */
export function TokenDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [attempts, setAttempts] = useState(0);

  useEffect(() => {
    setTokenPrompt(
      (refusal) =>
        new Promise((resolve) => {
          setAsk({ refusal, resolve });
          setAttempts((n) => n + 1);
        }),
    );
  }, []);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (ask && !d.open) d.showModal();
    if (!ask && d.open) d.close();
    if (ask && input.current) {
      input.current.value = "";
      input.current.focus();
    }
  }, [ask]);

  const finish = (token: string | null) => {
    ask?.resolve(token);
    setAsk(null);
    if (token === null) setAttempts(0);
  };

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const token = input.current?.value.trim() ?? "";
    if (token !== "") finish(token);
  };

  const wrong = ask !== null && attempts > 1;
  return (
    <dialog
      ref={dialog}
      class="token-dialog"
      aria-labelledby="token-title"
      onCancel={(e) => {
        e.preventDefault();
        finish(null);
      }}
    >
      <form method="dialog" onSubmit={onSubmit}>
        <h2 id="token-title">API token needed</h2>
        <p class={wrong ? "refusal refusal-error" : "refusal"} role="alert" data-testid="refusal">
          The server refused: <strong>{ask?.refusal}</strong>
        </p>
        <p class="hint">
          This manager requires its API token (the <code>…_API_TOKEN</code> environment variable)
          for actions. It is kept for this tab only.
        </p>
        <label>
          Token
          <input
            ref={input}
            type="password"
            name="token"
            autocomplete="off"
            spellcheck={false}
            required
          />
        </label>
        <div class="dialog-buttons">
          <button type="button" class="secondary" onClick={() => finish(null)}>
            Cancel
          </button>
          <button type="submit">Use token</button>
        </div>
      </form>
    </dialog>
  );
}
