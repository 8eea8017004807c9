/**
 * A serialisable description of a model, sent to worker threads, which build
 * it once per architecture and reuse it. Built-in models end in a linear layer
 * (logits); custom models may end in softmax (the loss adapts).
 */
export type ModelSpec =
  | { kind: 'mlp'; hidden: number[]; activation: 'relu' | 'tanh' | 'sigmoid'; inputShape: number[]; numClasses: number }
  | { kind: 'cnn'; inputShape: number[]; numClasses: number }
  | { kind: 'logistic'; inputShape: number[]; numClasses: number }
  | { kind: 'custom'; topology: unknown; inputShape: number[]; numClasses: number };

/** A key that identifies an architecture, to cache built models per worker. */
export function modelKey(spec: ModelSpec): string {
  return JSON.stringify(spec);
}

/** Name and shape of each weight tensor, in the model's `weights` order. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

export function describeModel(spec: ModelSpec): string {
  switch (spec.kind) {
    case 'mlp':
      return `mlp ${[spec.inputShape.reduce((a, b) => a * b, 1), ...spec.hidden, spec.numClasses].join('-')}`;
    case 'cnn':
      return `cnn (5×5×32, pool, 5×5×64, pool, 512, ${spec.numClasses})`;
    case 'logistic':
      return `logistic regression (${spec.inputShape.reduce((a, b) => a * b, 1)} → ${spec.numClasses})`;
    case 'custom':
      return 'custom tfjs layers model';
  }
}
