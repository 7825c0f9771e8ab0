/** One line of `tunnelbot doctor`: what was checked, whether it passed, what was seen and how to fix a failure. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}
