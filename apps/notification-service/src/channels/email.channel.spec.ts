import { deliveryErrorForSmtp } from './delivery-error';
import { renderEmail } from './email.channel';

describe('renderEmail', () => {
  it('uses the summary as a one-line subject and lists the fields', () => {
    const email = renderEmail({
      summary: 'Task completed:\r\nBcc: everyone@example.test',
      fields: [{ label: 'Contact', value: 'Dana Reyes' }],
      refs: {},
    });

    expect(email.subject).toBe('Task completed: Bcc: everyone@example.test');
    expect(email.text).toBe(
      'Task completed:\r\nBcc: everyone@example.test\n\nContact: Dana Reyes\n',
    );
  });

  it('escapes record text in the HTML part', () => {
    const email = renderEmail({
      summary: 'Call <b>now</b>',
      fields: [{ label: 'Task', value: '<a href="https://evil.test">pay</a>' }],
      refs: {},
    });

    expect(email.html).not.toMatch(/<a |<b>/);
    expect(email.html).toContain('&lt;a href=&quot;https://evil.test&quot;&gt;pay&lt;/a&gt;');
  });
});

describe('deliveryErrorForSmtp', () => {
  it('retries a 4xx reply or no reply, and gives up on a 5xx reply', () => {
    const busy = deliveryErrorForSmtp({ code: 'EMESSAGE', responseCode: 451 });
    const refused = deliveryErrorForSmtp({ code: 'EENVELOPE', responseCode: 550 });
    const unreachable = deliveryErrorForSmtp({ code: 'ECONNECTION', message: 'to mail.test' });

    expect([busy.permanent, refused.permanent, unreachable.permanent]).toEqual([
      false,
      true,
      false,
    ]);
    expect(refused.reason).toBe('SMTP 550 (EENVELOPE)');
    expect(unreachable.reason).toBe('SMTP ECONNECTION');
  });
});
