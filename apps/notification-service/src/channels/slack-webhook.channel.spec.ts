import { escapeMrkdwn, slackWebhookBody } from './slack-webhook.channel';

describe('slackWebhookBody', () => {
  it('sends the summary as text and lays the fields out in blocks', () => {
    const body = slackWebhookBody({
      summary: 'Task completed',
      fields: [{ label: 'Contact', value: 'Dana Reyes' }],
      refs: {},
    });

    expect(body.text).toBe('Task completed');
    expect(body.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'Task completed' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Contact*\nDana Reyes' }] },
    ]);
  });

  it('escapes text from the records so that it cannot mention a channel or forge a link', () => {
    const body = slackWebhookBody({
      summary: 'Call <!channel> & <https://evil.test|the bank>',
      fields: [{ label: 'Task', value: '<@U123>' }],
      refs: {},
    });

    expect(body.text).toBe('Call &lt;!channel&gt; &amp; &lt;https://evil.test|the bank&gt;');
    expect(JSON.stringify(body.blocks)).not.toMatch(/[<>]/);
  });

  it('keeps every field within the length Slack accepts', () => {
    const body = slackWebhookBody({
      summary: 'x',
      fields: [{ label: 'Task', value: 'y'.repeat(5_000) }],
      refs: {},
    });

    const [, section] = body.blocks as Array<{ fields: Array<{ text: string }> }>;
    expect(section.fields[0].text.length).toBe(2_000);
  });
});

describe('escapeMrkdwn', () => {
  it('leaves ordinary text alone', () => {
    expect(escapeMrkdwn('Roof survey for Dana, 3pm')).toBe('Roof survey for Dana, 3pm');
  });
});
