/**
 * npm run -s pkl:json -- FILE...   Prints a pickle/joblib file as canonical JSON (lib/pickle/pyjson.ts),
 * the same text scripts/fixtures/joblib_to_json.py prints from Python's joblib.load. Safe on any file:
 * nothing in it is executed.
 */
import { readJoblibFile, PickleError } from '../lib/pickle';
import { toPythonJson } from '../lib/pickle/pyjson';

const files = process.argv.slice(2).filter((a) => a !== '--');
if (files.length === 0) {
  process.stderr.write('usage: npm run -s pkl:json -- FILE...\n');
  process.exit(2);
}
for (const file of files) {
  try {
    process.stdout.write(toPythonJson(await readJoblibFile(file)) + '\n');
  } catch (e) {
    process.stderr.write(`${e instanceof PickleError ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
