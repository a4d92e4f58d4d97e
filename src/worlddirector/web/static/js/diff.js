// Prompt diffs: render the reviser's own diff ops, or compute a word diff (LCS) when there are none.
import { h } from "./api.js";

/** Word-level diff of two strings as [{op: "equal"|"insert"|"delete", text}]. */
export function wordDiff(a, b) {
  const A = a.split(/(\s+)/).filter(Boolean);
  const B = b.split(/(\s+)/).filter(Boolean);
  const n = A.length, m = B.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i][j] = A[i] === B[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const ops = [];
  const push = (op, text) => {
    const last = ops[ops.length - 1];
    if (last && last.op === op) last.text += text;
    else ops.push({ op, text });
  };
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (A[i] === B[j]) { push("equal", A[i]); i++; j++; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) push("delete", A[i++]);
    else push("insert", B[j++]);
  }
  while (i < n) push("delete", A[i++]);
  while (j < m) push("insert", B[j++]);
  return ops;
}

/** A <p class="diff"> with <ins>/<del> spans. */
export function renderDiff(ops) {
  const p = h("p", { class: "diff", "aria-label": "Prompt changes: insertions and deletions" });
  for (const { op, text } of ops) {
    if (op === "insert") p.append(h("ins", { title: "added" }, text));
    else if (op === "delete") p.append(h("del", { title: "removed" }, text));
    else p.append(text);
  }
  return p;
}
