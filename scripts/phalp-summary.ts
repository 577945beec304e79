/**
 * npm run -s phalp:summary -- FILE [--fps N]   Frames, tracks and coverage of a PHALP results file.
 * (Without the clip's frames.json the frame count is the last `time` + 1 and fps defaults to 30.)
 */
import { readPhalpResults } from '../lib/phalp';
import { computeTrackStats } from '../lib/pose/coverage';

const args = process.argv.slice(2).filter((a) => a !== '--');
const fpsAt = args.indexOf('--fps');
const fps = fpsAt >= 0 ? Number(args.splice(fpsAt, 2)[1]) : undefined;
const file = args[0];
if (!file) {
  process.stderr.write('usage: npm run -s phalp:summary -- FILE [--fps N]\n');
  process.exit(2);
}

try {
  const seq = await readPhalpResults(file, { fps });
  const empty = seq.frames.filter((f) => f.persons.length === 0).length;
  const people = seq.frames.reduce((n, f) => n + f.persons.length, 0);
  console.log(`file        ${file}`);
  console.log(`frames      ${seq.frame_count} (${empty} with nobody), ${seq.width}x${seq.height}, ${seq.fps} fps`);
  console.log(`persons     ${people} person-frames`);
  if (seq.intrinsics) {
    const k = seq.intrinsics;
    console.log(`intrinsics  fx=fy=${k.fx.toFixed(2)} cx=${k.cx} cy=${k.cy}`);
  }
  const stats = computeTrackStats(seq);
  console.log(`tracks      ${stats.length}`);
  console.log('');
  const rows = [['track', 'frames', 'detected', 'held', 'interp', 'missing', 'coverage', 'mean conf', 'mean track conf']];
  for (const t of stats) {
    rows.push([
      String(t.track_id),
      `${t.first_frame}-${t.last_frame}`,
      String(t.detected),
      String(t.held),
      String(t.interpolated),
      String(t.missing),
      `${((100 * t.detected) / seq.frame_count).toFixed(1)} %`,
      t.mean_confidence == null ? '-' : t.mean_confidence.toFixed(3),
      t.mean_tracking_confidence == null ? '-' : t.mean_tracking_confidence.toFixed(3),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c])).join('  '));
  for (const t of stats) {
    if (t.lost.length === 0) continue;
    console.log('');
    console.log(`track ${t.track_id} not detected:`);
    for (const s of t.lost) console.log(`  frames ${s.from}-${s.to} (${s.to - s.from + 1}): ${s.shown_as}, ${s.reason}`);
  }
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
