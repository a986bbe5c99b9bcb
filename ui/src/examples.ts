// Templates offered by "Create workflow". The ticket-triage seed is the same
// file the round-trip tests use.
import ticketTriage from "./doc/__fixtures__/ticket-triage.yaml?raw";

export const EXAMPLES = [
  {
    id: "ticket-triage",
    title: "Support ticket triage",
    description: "Webhook → fetch the customer from the CRM → analyse sentiment with a model → update the CRM → alert Slack when negative.",
    text: ticketTriage,
  },
  {
    id: "echo",
    title: "Webhook echo",
    description: "Answer a webhook synchronously with a transformed copy of its body. Runs without any outside service.",
    text: `name: echo
description: Answer each webhook with a transformed copy of its body.
on:
  webhook: { path: echo, method: POST, respond: sync }
steps:
  - id: shape
    uses: transform
    with:
      greeting: "Hello {{ trigger.body.name }}"
  - id: reply
    uses: respond
    with: { status: 200, body: "{{ steps.shape.output }}" }
`,
  },
];

/** A fresh document for "New workflow" (kept here so the main chunk does not load yaml). */
export const blank = (name: string) => `name: ${name}
description: ""
on:
  webhook: { path: ${name}, method: POST, respond: async }
steps: []
`;
