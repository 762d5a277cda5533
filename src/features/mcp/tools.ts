/**
 * The MCP tool registry (platform.md §9.2): `tools/list` descriptors and `tools/call` dispatch.
 * The tools themselves live beside this file, grouped by what they serve.
 */
import { z } from "zod";
import { DatabaseUnavailable } from "../../http/database";
import { SERVICE_UNAVAILABLE } from "../../http/errors";
import { CHECK_TOOLS } from "./check-tools";
import { DATA_TOOLS, DECISION_TOOLS, OVERRIDE_TOOLS } from "./governance-tools";
import { PRO_TOOLS } from "./pro-tools";
import { type ToolContext, type ToolOutcome, toolError } from "./tool";

export type { ToolContext, ToolOutcome } from "./tool";

const ALL_TOOLS = [...CHECK_TOOLS, ...DATA_TOOLS, ...DECISION_TOOLS, ...OVERRIDE_TOOLS, ...PRO_TOOLS];
const BY_NAME = new Map(ALL_TOOLS.map((tool) => [tool.name, tool]));

/** `tools/list`: every tool with its object input schema. */
export const TOOL_DESCRIPTORS = ALL_TOOLS.map(({ name, description, inputSchema }) => ({
  name,
  description,
  inputSchema,
}));

const callParams = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).nullish(),
});

/** `tools/call`: finds the tool, checks its arguments, runs it. */
export async function callTool(params: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  const parsed = callParams.safeParse(params);
  if (!parsed.success) return { kind: "invalid_params", message: "Invalid tool call parameters" };
  if (!parsed.data.name) return { kind: "invalid_params", message: "Missing tool name in tools/call" };
  const tool = BY_NAME.get(parsed.data.name);
  if (!tool) return { kind: "invalid_params", message: `Unknown tool: ${parsed.data.name}` };
  const args = tool.args.safeParse(parsed.data.arguments ?? {});
  if (!args.success) {
    const issue = args.error.issues[0];
    const field = issue?.path.join(".") || "arguments";
    return { kind: "invalid_params", message: `Invalid arguments for ${tool.name}: ${field}: ${issue?.message}` };
  }
  try {
    return await tool.run(args.data, ctx);
  } catch (error) {
    if (error instanceof DatabaseUnavailable) return toolError(SERVICE_UNAVAILABLE);
    throw error;
  }
}
