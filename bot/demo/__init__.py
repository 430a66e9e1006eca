"""``mentorbot demo``: a 12-week cohort played against the Slack double, and its transcript."""
