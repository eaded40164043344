import { createMemoryUploadStates } from './upload-states.ts';
import { uploadStateTests } from './store/suite.ts';

const states = createMemoryUploadStates();
uploadStateTests(() => states);
