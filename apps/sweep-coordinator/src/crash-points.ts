// TEST ONLY: SWEEP_CRASH_AT=<point> makes the process SIGKILL itself when the pipeline reaches that point, after
// writing one synchronous log line, so a crash test proves where the kill landed. Unset in every deployment.
import fs from 'node:fs';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { CrashPoint, SweepCoordinatorConfig } from './config.js';

@Injectable()
export class CrashPoints {
  constructor(@InjectConfig() private readonly config: SweepCoordinatorConfig) {}

  reached(point: CrashPoint, detail: Record<string, unknown> = {}): void {
    if (this.config.SWEEP_CRASH_AT !== point) return;
    fs.writeSync(1, `${JSON.stringify({ level: 60, time: Date.now(), service: 'sweep-coordinator', crashPoint: point, ...detail, msg: `SWEEP_CRASH_AT=${point} reached: killing the process` })}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
