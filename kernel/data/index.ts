/** Datasets that load offline, all in shared memory. */
export { createDataset, featureSize, sharedFloat32, sharedInt32, subset, type Dataset } from './dataset';
export { loadMnist, defaultMnistDirectory, type MnistOptions, type MnistSplits } from './mnist';
export { generateSynthetic, type SyntheticOptions, type SyntheticSplits } from './synthetic';
export { loadCsv, csvToDataset, parseDecimal, type CsvColumn, type CsvDataset, type CsvOptions } from './csv';
export { parseCsv, type CsvRecord } from './csv-parse';
export { parseIdx, type IdxArray } from './idx';
