// The chaos table: Markdown, so it reads on a terminal and pastes into docs as is.

export function usd(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

export function duration(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Rows of [figure, value, expected, ok]; ok undefined = informational. */
export function buildRows(r) {
  const f = r.end.stats.faults;
  const faultText = ['error', 'rateLimit', 'drop', 'lostSubmit', 'slow', 'taskFail'].map((k) => `${k} ${f[k] ?? 0}`).join(', ');
  const overshoot = Math.max(0, r.end.netCents - r.campaign.budgetCents);
  const untracked = r.end.netCents - r.end.lockSpentCents;
  const nonBlocked = r.campaign.ids.length - r.end.blocked.length;
  const lost = r.end.lost.length + r.end.orphans.length;
  return [
    ['seed', String(r.seed), '', undefined],
    [
      'shots done',
      `${r.end.done} / ${r.campaign.ids.length} (${r.end.blocked.length} blocked by a 1xxx failure)`,
      `${nonBlocked} (every non-blocked shot)`,
      r.end.done === nonBlocked && r.end.problems.length === 0,
    ],
    ['converged (apply exit 0 or 5, plan --detailed-exitcode 0 or 5)', r.converged ? 'yes' : `no (${r.stopReason})`, 'yes', r.converged],
    [
      'runs',
      `${r.runs.length} (${r.kills} killed, ${r.runs.filter((x) => !x.killed && (x.code === 0 || x.code === 5)).length} exit 0 or 5, ${r.runs.filter((x) => !x.killed && x.code === 1).length} exit 1, ${r.runs.filter((x) => !x.killed && ![0, 1, 5].includes(x.code)).length} other)`,
      '',
      undefined,
    ],
    ['kills survived (SIGKILL)', `${r.kills} (${r.tears} of them with the compaction torn)`, '', undefined],
    [
      'unknown outcomes the user resolved (from the dashboard)',
      `${r.resolved.adopted} adopted, ${r.resolved.forgotten} forgotten (never created)`,
      '',
      undefined,
    ],
    ['faults injected', faultText, '', undefined],
    ['submissions (accepted by the server)', `${r.end.stats.submissions} for ${r.end.stats.distinctBodies} distinct bodies`, '', undefined],
    ['duplicate submissions (paid twice)', String(r.end.stats.duplicateSubmissions), '0', r.end.stats.duplicateSubmissions === 0],
    [
      'paid outputs lost',
      lost === 0 ? '0' : `${lost} (${r.end.lost.length} recorded then missing, ${r.end.orphans.length} completed on the server, never recorded)`,
      '0',
      lost === 0,
    ],
    ['1402 retries that reused the unfetchable upload', String(r.end.staleRetries.length), '0', r.end.staleRetries.length === 0],
    ['budget overshoot (cents)', `${overshoot} (net charges ${usd(r.end.netCents)} of a ${usd(r.campaign.budgetCents)} cap)`, '0', overshoot === 0],
    // Before convergence the lockfile also counts intents whose outcome is still unknown: ≤ 0 is all one can ask.
    [
      'net charges − lockfile spent (cents)',
      `${untracked} (lockfile says ${usd(r.end.lockSpentCents)})`,
      r.converged ? '0' : '≤ 0 (not converged)',
      r.converged ? untracked === 0 : untracked <= 0,
    ],
    [
      'charges the lockfile did not count, after any run (cents)',
      r.untracked.length === 0 ? '0' : `${Math.max(...r.untracked.map((u) => u.cents))} (after ${r.untracked.length} runs)`,
      '0',
      r.untracked.length === 0,
    ],
    [
      'predictions recorded as two takes, after any run',
      r.doubled.length === 0 ? '0' : `${Math.max(...r.doubled.map((d) => d.ids.length))} (after ${r.doubled.length} runs)`,
      '0',
      r.doubled.length === 0,
    ],
    [
      'lockfile valid JSON after every kill',
      r.lockChecks.every((c) => c.ok)
        ? `yes (${r.lockChecks.length} checks)`
        : `no (${r.lockChecks.filter((c) => !c.ok).length} of ${r.lockChecks.length} failed)`,
      'yes',
      r.lockChecks.every((c) => c.ok),
    ],
    ['hung runs', String(r.runs.filter((x) => x.hung).length), '0', r.runs.every((x) => !x.hung)],
    ['wall time', `${duration(r.wallMs)} (cap ${duration(r.capMs)})`, '', undefined],
  ];
}

export function formatTable(rows) {
  const lines = ['| figure | value | expected | |', '|---|---|---|---|'];
  for (const [name, value, expected, ok] of rows) {
    lines.push(`| ${name} | ${value} | ${expected} | ${ok === undefined ? '' : ok ? 'ok' : '**FAIL**'} |`);
  }
  return lines.join('\n');
}
