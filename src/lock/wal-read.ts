import { RECORD_KINDS, type JournalRecord } from './records.js';
import { applyRecord, replayChecked } from './reducer.js';
import type { Lockfile } from './schema.js';
import { WAL_INDENT, WAL_OPEN } from './wal.js';

/**
 * Reading the lockfile's wal (lock/wal.ts; docs/ARCHITECTURE.md "State: lockfile, journal and takes"): its records
 * folded into the state through the one reducer before anything looks at it, and a tail torn by a crash mid-append
 * repaired, only when the damage lies there.
 */

/** The top-level `version` member: the last key of the lockfile as render writes it, before the wal. */
const VERSION_MEMBER = '\n  "version": 2';

/**
 * The text of a lockfile whose last wal append was torn (a kill or a power loss mid-write), with the torn line
 * dropped and the brackets closed; undefined when the damage is anywhere else. What one torn append can leave, and
 * so what is dropped: at most one line that is not brackets (the record being written), never a complete record
 * (a complete record after a damaged line is damage in the middle: a hand edit, a bad disk), and everything before
 * the wal intact. The records dropped were written to the journal before the append began.
 */
export function repairTornWal(text: string): string | undefined {
  const at = text.indexOf(VERSION_MEMBER);
  if (at < 0) return undefined;
  const headEnd = at + VERSION_MEMBER.length;
  if (!/^[,\n\0]?$/.test(text.charAt(headEnd))) return undefined;
  const head = text.slice(0, headEnd);
  try {
    JSON.parse(`${head}\n}\n`);
  } catch {
    return undefined; // the damage is before the wal
  }
  const tail = text.slice(headEnd);
  const kept: string[] = [];
  let pos = 0;
  if (tail.startsWith(WAL_OPEN)) {
    pos = WAL_OPEN.length;
    while (tail.startsWith(WAL_INDENT, pos)) {
      const start = pos + WAL_INDENT.length;
      const end = objectEnd(tail, start);
      if (end === undefined || !isRecord(tail.slice(start, end))) break;
      kept.push(tail.slice(start, end));
      pos = end;
      if (!tail.startsWith(',\n', end)) break;
      pos = end + 2;
    }
  }
  const dropped = tail.slice(pos).split('\n');
  const torn = dropped.filter((line) => !/^[\s\]},\0]*$/.test(line));
  if (torn.length > 1) return undefined;
  // An append writes over the file's closing brackets, so what a torn one leaves of them comes after its line: a
  // line after the document's own end was added to a whole file (by hand, by another program), not torn.
  if (torn.length === 1 && dropped.indexOf('}') >= 0 && dropped.indexOf('}') < dropped.indexOf(torn[0]!)) return undefined;
  if (dropped.some((line) => containsRecord(line))) return undefined;
  if (kept.length === 0) return `${head}\n}\n`;
  return `${head}${WAL_OPEN}${kept.map((r) => `${WAL_INDENT}${r}`).join(',\n')}\n  ]\n}\n`;
}

/**
 * The wal as read: a list of records render writes (an object whose `t` is a record kind, never `base`), or which
 * entry is not one.
 */
export function walRecords(wal: unknown): { records: JournalRecord[] } | { bad: (string | number)[]; message: string } {
  if (!Array.isArray(wal)) return { bad: ['wal'], message: 'must be a list of write-ahead records' };
  const bad = wal.findIndex((rec) => !isRecordValue(rec));
  if (bad >= 0) return { bad: ['wal', bad], message: 'is not a write-ahead record render writes' };
  return { records: wal as JournalRecord[] };
}

/**
 * The lockfile's state with its wal folded in, in order, through the one reducer (idempotent), and checked against
 * the schema as a replayed journal is: the state, or the first record after which it no longer fits.
 */
export function foldWal(lock: Lockfile, records: readonly JournalRecord[]): { lock: Lockfile } | { bad: number; where: string } {
  if (records.length === 0) return { lock };
  return replayChecked(records, (recs) => {
    const copy = structuredClone(lock);
    for (const rec of recs) applyRecord(copy, rec);
    return copy;
  });
}

function isRecordValue(rec: unknown): boolean {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return false;
  const kind = (rec as { t?: unknown }).t;
  return typeof kind === 'string' && kind !== 'base' && RECORD_KINDS.has(kind);
}

function isRecord(json: string): boolean {
  try {
    return isRecordValue(JSON.parse(json));
  } catch {
    return false;
  }
}

/**
 * Whether a dropped line holds a complete record: one that starts its line (after any indent, or the zeros a lost
 * page reads as). Only there: a line of hostile text is looked at once, not from every brace.
 */
function containsRecord(line: string): boolean {
  const start = line.search(/[^\s\0]/);
  if (start < 0) return false;
  const end = objectEnd(line, start);
  return end !== undefined && isRecord(line.slice(start, end));
}

/** The end (exclusive) of the JSON object that starts at `start`, by its braces outside strings; undefined if it does not close. */
function objectEnd(text: string, start: number): number | undefined {
  if (text[start] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return c === '}' ? i + 1 : undefined;
    } else if (c === '\n') return undefined;
  }
  return undefined;
}
