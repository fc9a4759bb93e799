import type { EalOptions, ResourceSnapshot } from '@dpdk-hotplug/ethdev';

/** What the parent asks the child to do. */
export interface ChildRequest {
  devargs: string;
  cycles: number;
  /** Configure, start and stop the port in each cycle, as an application would. */
  lifecycle: boolean;
  eal: EalOptions;
}

/** One line the child prints: where it is now, or the outcome. */
export type ChildMessage =
  | { step: 'eal' | 'attach' | 'lifecycle' | 'detach'; cycle: number }
  | { resources: ResourceSnapshot; cycle: number }
  | {
      failed: {
        stage: 'eal' | 'attach' | 'lifecycle' | 'detach';
        cycle: number;
        code: string;
        errno?: number;
        message: string;
        dpdkLog: string[];
      };
    }
  | { done: { device: string; cycles: number } };
