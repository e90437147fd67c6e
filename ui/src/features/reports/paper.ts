/** Paper sizes in the order the owner most likely wants them: Letter first where it is the norm. */
import type { Paper } from "../../ipc/bindings";

// Regions that print on US Letter (CLDR's paper-size data: the US, Canada, Mexico, and
// countries of Central and South America and the Philippines that follow them).
const LETTER_REGIONS = new Set(["US", "CA", "MX", "CL", "CO", "CR", "GT", "PA", "PH", "PR", "SV", "VE", "NI", "DO", "BZ"]);

export function papersFor(locale: string): Paper[] {
  let region: string | undefined;
  try {
    region = new Intl.Locale(locale).maximize().region;
  } catch {
    region = undefined;
  }
  return region !== undefined && LETTER_REGIONS.has(region) ? ["letter", "a4"] : ["a4", "letter"];
}
