-- An office's territory as rows (region, and a district or '' for the whole
-- region), so that routing an application by address is a query.
CREATE TABLE office_territories (
    office_id UUID NOT NULL REFERENCES offices(id),
    region_code TEXT NOT NULL,
    district TEXT NOT NULL,
    PRIMARY KEY (office_id, region_code, district)
);
CREATE INDEX office_territories_area ON office_territories (region_code, district);

INSERT INTO office_territories (office_id, region_code, district)
SELECT DISTINCT o.id, split_part(trim(t), '-', 1), split_part(trim(t), '-', 2)
FROM offices o, unnest(string_to_array(o.territory, ',')) AS t
WHERE trim(t) <> '';

ALTER TABLE offices DROP COLUMN territory;
