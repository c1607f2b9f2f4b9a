import type { DemoKey } from './demo-school.roster';

/** A conversation the seeder opens (as `starter`) and the history it sends, line by line, as its members. */
export interface DemoThread {
  type: 'direct' | 'group';
  title?: string;
  starter: DemoKey;
  members: DemoKey[];
  lines: [DemoKey, string][];
}

export const DEMO_THREADS: readonly DemoThread[] = [
  {
    type: 'direct',
    starter: 'nurse',
    members: ['priya'],
    lines: [
      ['nurse', 'Hi Priya, Maya used her inhaler twice at lunch today. She is fine now and back in class.'],
      ['priya', 'Thank you for letting me know. Is the spare inhaler in the office still in date?'],
      ['nurse', 'It expires at the end of next month. Could you send a new one in with Maya?'],
      ['priya', "Will do, I'll drop it at reception on Monday."],
      ['nurse', "Perfect, I'll update her care plan when it arrives."],
    ],
  },
  {
    type: 'direct',
    starter: 'teacher',
    members: ['daniel'],
    lines: [
      ['teacher', 'Hello Daniel, the Year 4 trip to the science museum is on the 14th. Does Noah need anything for his nut allergy on the day?'],
      ['daniel', 'He carries his own EpiPen and there is a second one in the office. No tree nuts at all, please.'],
      ['teacher', "Understood. The nurse will pack the office pen in the first-aid bag and I'll check the packed lunches."],
      ['daniel', "Thanks, that's reassuring."],
    ],
  },
  {
    type: 'direct',
    starter: 'nurse',
    members: ['mei'],
    lines: [
      ['nurse', 'Hi Mei, Kai has a temperature of 38.4 °C and is resting in the medical room. Could someone collect him?'],
      ['mei', "I'm leaving work now, I'll be there in 20 minutes."],
      ['nurse', 'Thank you. Please keep him at home until he has had no fever for 48 hours.'],
      ['mei', 'Will do, thanks for looking after him.'],
    ],
  },
  {
    type: 'group',
    title: 'Year 4 parents',
    starter: 'teacher',
    members: ['nurse', 'priya', 'daniel', 'jonas'],
    lines: [
      ['teacher', "Welcome to the Year 4 parents' group! Class health notices will be posted here."],
      ['nurse', "Hello everyone, a case of head lice has been reported in Year 4. Please check your child's hair this week."],
      ['jonas', 'Thanks for the heads-up. Is there a treatment you would recommend?'],
      ['nurse', 'Combing wet hair with a fine-tooth comb every few days works best; the pharmacy can advise on lotions.'],
      ['priya', 'Thanks both!'],
    ],
  },
  // The leaver's conversation: opened while Sam's account is active, written to once it is not.
  { type: 'direct', starter: 'nurse', members: ['sam'], lines: [] },
];

/** The office's broadcast to every active chat user. */
export const DEMO_BROADCAST =
  'Flu vaccinations for all year groups take place this Thursday morning. If you have not returned the consent form yet, please do so by Wednesday.';

/** Sent by the nurse to the leaver after the office deactivated the account: it can never be delivered. */
export const DEMO_UNDELIVERABLE = "Hi Sam, a reminder that Lucas's updated asthma plan is due back this week.";

/** The trickle's lines, by who writes them. */
export const DEMO_TRAFFIC_LINES: Readonly<Record<'staff' | 'parent', readonly string[]>> = {
  staff: [
    'Just a reminder that the flu vaccination consent form is due on Friday.',
    'The medication form needs a signature, could you sign it at pick-up?',
    'Small graze at playtime today, cleaned and plastered. All fine.',
    'Sports day is next week: please pack sun cream and a water bottle.',
    'The spare EpiPen in the office expires next month, could you send a new one?',
    'Hearing and vision screening for Year 4 is on Tuesday morning.',
    'A bit tired after lunch today, just letting you know. No temperature.',
    'The allergy list for the class trip has been updated, thank you.',
    "Please label the inhaler with your child's name.",
    'A reminder that children should stay at home for 48 hours after vomiting.',
  ],
  parent: [
    'Thanks for letting me know!',
    "I'll bring the signed form in tomorrow morning.",
    'She has been coughing at night, could she skip PE this week?',
    "Dentist appointment on Thursday at 10, I'll collect at 9:30.",
    "Is the nurse in on Friday? I'd like to drop off the antibiotics.",
    'Thanks, feeling much better today.',
    'Could you remind her to take her tablet at lunchtime?',
    "We've updated the allergy information on the form, please check.",
    'Will the vaccination team come before or after lunch?',
    "Thank you, that's really helpful.",
  ],
};
