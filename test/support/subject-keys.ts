/**
 * The run's subject keys: the secret the global setup names in SUBJECT_KEY_FILE, which every server the
 * suite starts keys subjects with too, so a token minted in-process and a cut-off made over HTTP agree.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SubjectKeyer, subjectKeyer } from '#commons/domain/token-format.ts';
import { localSecret } from '#commons/subject-key.ts';

// The benches use these fixtures outside the suite: a secret of their own, which servers they start inherit.
process.env.SUBJECT_KEY_FILE ??= join(mkdtempSync(join(tmpdir(), 'revocation-keys-')), 'subject-key');
const file = process.env.SUBJECT_KEY_FILE;

/** The subject key of `subject` under the run's secret (HMAC-SHA-256, 128 bits). */
export const subjectKeyOf: SubjectKeyer = subjectKeyer(localSecret(file));
