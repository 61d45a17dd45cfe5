import { z } from "zod";
import { NAME_PATTERN } from "./common.ts";

/** A parsed proposal; every field documented in the issue form. */
export const ProposalSchema = z
  .object({
    domain: z
      .string()
      .regex(NAME_PATTERN, "must be lower-case letters, digits and dashes (2-63 characters)")
      .describe("Domain name."),
    description: z
      .string()
      .min(20, "needs at least a sentence (20 characters)")
      .describe("What the adapter will be good at."),
    why: z
      .string()
      .min(20, "needs at least a sentence (20 characters)")
      .describe("Why the base model underperforms."),
    example_queries: z
      .array(z.string().min(3))
      .min(3, "needs at least 3 example queries, one per line")
      .max(10)
      .describe("3-5 failing queries."),
    data_sources: z
      .string()
      .min(10, "needs the sources and their licenses")
      .describe("Planned data sources."),
    scope: z.string().min(10, "needs what is in and out of scope").describe("Scope boundaries."),
    estimated_size: z.number().int().positive().describe("Estimated number of training examples."),
    router_keywords: z.array(z.string().min(1).max(50)).max(50).describe("Routing keywords."),
  })
  .describe("An adapter proposal issue, parsed from its form.");
export type Proposal = z.infer<typeof ProposalSchema>;
