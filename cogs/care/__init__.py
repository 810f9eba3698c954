"""Care: support around hard themes (/support, /setup support, a line under hard-theme prompts) and reports
to moderators (the message menu *Report to moderators*, and a button for pair threads)."""
