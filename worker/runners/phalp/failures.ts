import os from 'node:os';
import path from 'node:path';
import { RunnerError } from '../types';
import { TRACEBACK } from './output';

/**
 * Turns a failed track.py run into a message a coach or operator can act on (PHALP.md section 1:
 * "Failures worth recognising"). PHALP's exit codes lie (errors inside the frame loop exit 0), so
 * the decision rests on the output text first and the exit code second.
 */

export interface RunOutcome {
  exitCode: number | null;
  /** signal that ended the process, when it did not exit by itself */
  signal: string | null;
  /** output lines other than progress redraws (ANSI stripped), stdout and stderr */
  text: string;
  logTail: string[];
  /** a results pkl newer than the start exists */
  resultsWritten: boolean;
}

interface KnownFailure {
  code: string;
  test: RegExp;
  message: (ctx: { phalpDir: string; home: string }) => string;
  retryable: boolean;
}

// Order matters: the first match wins (a missing SMPL file also shows up as a FileNotFoundError).
const KNOWN: KnownFailure[] = [
  {
    code: 'smpl_download',
    test: /github\.com\/classner\/up|FileNotFoundError[^\n]*SMPL_NEUTRAL\.pkl/,
    message: ({ home }) =>
      'PHALP could not get the SMPL body model (its download link is dead). Copy the SMPL neutral model to ' +
      `${path.join(home, '.cache/phalp/3D/models/smpl/SMPL_NEUTRAL.pkl')} on the PHALP machine, then retry.`,
    retryable: false,
  },
  {
    code: 'smpl_missing',
    test: /SMPL model not found/,
    message: ({ phalpDir }) =>
      'PHALP cannot find the SMPL body model. Download the neutral model (basicModel_neutral_lbs_10_207_0_v1.0.0.pkl) ' +
      `from https://smplify.is.tue.mpg.de/ and place it at ${path.join(phalpDir, 'data', 'basicModel_neutral_lbs_10_207_0_v1.0.0.pkl')} ` +
      '(see the 4D-Humans README), then retry.',
    retryable: false,
  },
  {
    code: 'gpu_out_of_memory',
    test: /CUDA out of memory|OutOfMemoryError/,
    message: () =>
      'The GPU ran out of memory while tracking (PHALP needs about 10-12 GB). Free the GPU (stop other programs ' +
      'using it) and retry, or configure PHALP to use the lighter detector (phalp.detector=maskrcnn).',
    retryable: true,
  },
  {
    code: 'gpu_kernel_image',
    test: /no kernel image is available/,
    message: () =>
      "PHALP's neural_renderer was built for a different GPU (\"no kernel image is available\"). Rebuild " +
      'neural_renderer on the PHALP machine for this GPU.',
    retryable: false,
  },
  {
    code: 'egl_missing',
    test: /eglInitialize|EGLError|EGL_NOT_INITIALIZED|Unable to load EGL|libEGL\.so/,
    message: () =>
      'PHALP could not start its renderer: EGL is not available on this headless machine. Install the EGL ' +
      'libraries (for example libegl1 and libgl1) on the PHALP machine.',
    retryable: false,
  },
  {
    code: 'torch_weights_only',
    test: /Weights only load failed/,
    message: () =>
      'PyTorch (2.6 or newer) refused to load the model checkpoints. Make sure TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 ' +
      'reaches PHALP (the worker sets it; a wrapper script may drop it).',
    retryable: false,
  },
  {
    code: 'chumpy_numpy',
    test: /cannot import name 'bool' from 'numpy'/,
    message: () =>
      "PHALP's chumpy package is too old for the installed numpy. Install chumpy from its repository " +
      '(pip install git+https://github.com/mattloper/chumpy) in the PHALP environment.',
    retryable: false,
  },
  {
    code: 'invalid_source',
    test: /Invalid source path/,
    message: () =>
      'PHALP rejected the extracted frames ("Invalid source path"). This is a bug in the app, not in the clip: ' +
      'please report it.',
    retryable: false,
  },
];

/** The last "SomeError: message" line of the output, to name an unknown failure. */
function lastExceptionLine(text: string): string | null {
  const lines = text.split('\n').filter((l) => /^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*:/.test(l.trim()));
  return lines.length ? lines[lines.length - 1].trim() : null;
}

export function failed(outcome: RunOutcome): boolean {
  return !(outcome.exitCode === 0 && outcome.resultsWritten && !outcome.text.includes(TRACEBACK));
}

/** The RunnerError for a run that did not succeed (see `failed`). */
export function classifyFailure(outcome: RunOutcome, phalpDir: string, home = process.env.HOME || os.homedir()): RunnerError {
  const logTail = outcome.logTail;
  for (const known of KNOWN) {
    if (known.test.test(outcome.text)) {
      return new RunnerError(known.message({ phalpDir, home }), known.code, { logTail, retryable: known.retryable, fallbackAllowed: true });
    }
  }
  const exception = lastExceptionLine(outcome.text);
  const detail = exception ? ` Last error: ${exception}` : '';
  if (outcome.signal) {
    return new RunnerError(
      `PHALP was stopped by ${outcome.signal} from outside the app (the machine may have run out of memory).${detail}`,
      'phalp_killed',
      { logTail, retryable: true, fallbackAllowed: true },
    );
  }
  if (outcome.exitCode !== 0) {
    return new RunnerError(`PHALP failed with exit code ${outcome.exitCode}.${detail} See the log below.`, 'phalp_failed', {
      logTail,
      retryable: false,
      fallbackAllowed: true,
    });
  }
  if (outcome.text.includes(TRACEBACK)) {
    return new RunnerError(`PHALP crashed while tracking (it exited with code 0 but printed an error).${detail} See the log below.`, 'phalp_crashed', {
      logTail,
      retryable: false,
      fallbackAllowed: true,
    });
  }
  return new RunnerError('PHALP finished without writing its results file. See the log below.', 'no_results', {
    logTail,
    retryable: false,
    fallbackAllowed: true,
  });
}
