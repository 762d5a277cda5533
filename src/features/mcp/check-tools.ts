/**
 * The tools the plugin hooks call before and after every tool use: check_policy (pre), check_output
 * (post) and audit_tool_call (platform.md §9.2; input schemas as the reference lists them).
 */
import { z } from "zod";
import { checkInput, checkOutput } from "../../governance/checks";
import { recordToolCall, toolCallSchema } from "../../governance/tool-audit";
import { rfc3339 } from "../../time";
import { object, result, type Tool, toolError } from "./tool";

const str = z.string();

const checkPolicyArgs = z.object({
  connector_type: str.max(255).optional(),
  statement: str.optional(),
  operation: str.max(64).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

const checkOutputArgs = z.object({
  connector_type: str.max(255).optional(),
  message: str.optional(),
  response_data: z.array(z.unknown()).optional(),
});

const auditArgs = toolCallSchema.extend({ tool_name: str.optional() });

export const CHECK_TOOLS: Tool[] = [
  {
    name: "check_policy",
    description:
      "Check a tool call against the AxonFlow governance policies before it runs. Answers whether it is allowed and, when blocked, why and by which policies.",
    inputSchema: object(
      {
        connector_type: { type: "string", description: "Tool identifier, e.g. claude_code.Bash or cursor.Shell" },
        statement: { type: "string", description: "What the tool is about to run: command, query or file content" },
        operation: { type: "string", enum: ["execute", "query"], default: "execute" },
        parameters: { type: "object" },
      },
      ["connector_type", "statement"],
    ),
    args: checkPolicyArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof checkPolicyArgs>;
      if (!a.connector_type || !a.statement) return toolError("connector_type and statement are required");
      const answer = await checkInput(
        call,
        {
          connectorType: a.connector_type,
          statement: a.statement,
          operation: a.operation || "execute",
          parameters: a.parameters,
        },
        "mcp",
      );
      return result(answer.body);
    },
  },
  {
    name: "check_output",
    description:
      "Scan a tool's output for PII, secrets and prompt injections. Answers whether it may be shown, with the masked text when something was found.",
    inputSchema: object(
      {
        connector_type: { type: "string", description: "Tool identifier that produced the output" },
        message: { type: "string", description: "Text output to scan" },
        response_data: { type: "array", items: { type: "object" } },
      },
      ["connector_type"],
    ),
    args: checkOutputArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof checkOutputArgs>;
      if (!a.connector_type) return toolError("connector_type is required");
      const answer = await checkOutput(
        call,
        { connectorType: a.connector_type, message: a.message, responseData: a.response_data },
        "mcp",
      );
      return result(answer.body);
    },
  },
  {
    name: "audit_tool_call",
    description: "Record a tool execution in the tenant's AxonFlow audit trail.",
    inputSchema: object(
      {
        tool_name: { type: "string" },
        tool_type: { type: "string", default: "claude_code" },
        caller_name: { type: "string" },
        input: { type: "object" },
        output: { type: "object" },
        success: { type: "boolean" },
        error_message: { type: "string" },
        duration_ms: { type: "number" },
      },
      ["tool_name", "input", "success"],
    ),
    args: auditArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof auditArgs>;
      const toolName = a.tool_name?.trim();
      if (!toolName) return toolError("tool_name is required");
      const recorded = await recordToolCall(call, {
        ...a,
        tool_name: toolName,
        tool_type: a.tool_type || "claude_code",
      });
      const timestamp = rfc3339(recorded.timestamp);
      return result({
        recorded: true,
        tool_name: toolName,
        timestamp,
        details: { audit_id: recorded.auditId, status: "recorded", timestamp },
      });
    },
  },
];
