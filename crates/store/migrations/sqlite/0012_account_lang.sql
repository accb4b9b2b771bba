-- Issue 17: notices reach a person in their language (the one they chose
-- with the language switch while signed in); Russian until they choose.
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'ru';
