import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/errors-doc.js';

writeFileSync('docs/errors.md', renderErrorsDoc());
