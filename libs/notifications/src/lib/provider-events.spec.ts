import { dsnReport, mailgunReport, twilioReport } from './provider-events';

describe('provider reports', () => {
  it("reads Mailgun's events: permanent failures bounce, temporary ones wait, complaints and deliveries count", () => {
    expect(mailgunReport({ event: 'failed', severity: 'permanent', 'delivery-status': { code: 550, description: 'No such user: ann@school.test' } })).toEqual({
      status: 'bounced',
      detail: '550 No such user: [address]',
    });
    expect(mailgunReport({ event: 'failed', severity: 'temporary' })).toBeUndefined();
    expect(mailgunReport({ event: 'complained' })).toEqual({ status: 'complained', detail: 'the recipient marked it as spam' });
    expect(mailgunReport({ event: 'delivered' })).toEqual({ status: 'delivered', detail: null });
    expect(mailgunReport({ event: 'opened' })).toBeUndefined();
  });

  it("reads Twilio's MessageStatus", () => {
    expect(twilioReport({ MessageStatus: 'delivered' })).toEqual({ status: 'delivered', detail: null });
    expect(twilioReport({ MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({ status: 'undelivered', detail: 'Twilio undelivered (error 30003)' });
    expect(twilioReport({ MessageStatus: 'failed', ErrorCode: '<script>' })).toEqual({ status: 'undelivered', detail: 'Twilio failed' });
    expect(twilioReport({ MessageStatus: 'sent' })).toBeUndefined();
    expect(twilioReport({ MessageStatus: 'queued' })).toBeUndefined();
  });

  it('reads a DSN delivery-status part: a permanent failure is a bounce, a delay is nothing', () => {
    const failed = [
      'Reporting-MTA: dns; mx.school.test',
      '',
      'Final-Recipient: rfc822; ann@school.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <ann@school.test>: Recipient',
      '  address rejected',
      '',
    ].join('\r\n');
    expect(dsnReport(failed)).toEqual({ status: 'bounced', detail: 'DSN 5.1.1: 550 5.1.1 <[address]>: Recipient address rejected' });
    expect(dsnReport(failed.replace('Action: failed', 'Action: delayed').replace('5.1.1', '4.4.1'))).toBeUndefined();
    expect(dsnReport('Action: delivered\r\nStatus: 2.0.0\r\n')).toBeUndefined();
    expect(dsnReport('nonsense')).toBeUndefined();
  });
});
