-- Recruitment: the candidate pool (seeded with realistic candidates), jobs and matches.
CREATE SCHEMA IF NOT EXISTS recruitment;

CREATE TABLE recruitment.candidates (
    candidate_id       text    PRIMARY KEY,
    full_name          text    NOT NULL,
    email              text    NOT NULL,
    skills             text[]  NOT NULL,
    experience_level   text    NOT NULL,
    location           text    NOT NULL,
    open_to_remote     boolean NOT NULL,
    expected_salary    numeric(12, 2) NOT NULL,
    available          boolean NOT NULL DEFAULT true
);

INSERT INTO recruitment.candidates
 (candidate_id, full_name, email, skills, experience_level, location, open_to_remote, expected_salary)
VALUES
 ('70bb1776-6f78-5e5b-b14c-c5a7b8d40301', 'Lucía García Navarro', 'lucia.00@talent.example', ARRAY['fastapi','kafka','kubernetes'], 'SENIOR', 'Lima', TRUE, 64000),
 ('fc7ac5bb-94d3-59a1-b420-62e40a6147f8', 'Mateo Ramírez Martínez', 'mateo.01@talent.example', ARRAY['css','figma','graphql','javascript','typescript','vue'], 'SENIOR', 'Madrid', TRUE, 59000),
 ('d2810b79-2283-511f-8357-f8bceb446a69', 'Sofía Torres Ruiz', 'sofia.02@talent.example', ARRAY['airflow','pandas','python','sql'], 'MID', 'Santiago', FALSE, 51000),
 ('6cfde32e-cb81-5932-b560-b41d2a8bd48f', 'Hugo Sánchez Díaz', 'hugo.03@talent.example', ARRAY['firebase','kotlin','swift'], 'SENIOR', 'Madrid', TRUE, 60000),
 ('5269ac2e-6553-5771-be59-0f7c554c17e4', 'Valentina Rubio Gómez', 'valentina.04@talent.example', ARRAY['aws','docker','gcp','kubernetes','terraform'], 'EXPERT', 'Ciudad de México', TRUE, 83000),
 ('151919c4-cccc-543f-b143-4f075cdab1f4', 'Martín Molina Díaz', 'martin.05@talent.example', ARRAY['analytics','copywriting','crm','google-ads','sem','seo'], 'MID', 'Sevilla', TRUE, 51000),
 ('f8ba18b8-310a-5598-a723-461dfef42f2d', 'Camila López Ortega', 'camila.06@talent.example', ARRAY['aws','docker','fastapi','kafka','pulsar'], 'MID', 'Bogotá', TRUE, 51000),
 ('638d014f-9c10-5de8-afa7-e94905999ad6', 'Diego Castro Torres', 'diego.07@talent.example', ARRAY['css','javascript','react','typescript'], 'EXPERT', 'Ciudad de México', TRUE, 79000),
 ('5b310357-e0b8-50af-af9f-7a678c9fa29e', 'Isabella Fernández Fernández', 'isabella.08@talent.example', ARRAY['machine-learning','pandas','python'], 'MID', 'Sevilla', TRUE, 49000),
 ('47d57d04-02fd-57b0-81c6-140899ccca05', 'Pablo Fernández Pérez', 'pablo.09@talent.example', ARRAY['flutter','kotlin','react-native','swift'], 'MID', 'Sevilla', FALSE, 46000),
 ('a4914058-4a43-533c-9b8b-620e568a722e', 'Daniela Pérez Torres', 'daniela.10@talent.example', ARRAY['aws','docker','linux','prometheus'], 'MID', 'Lima', FALSE, 54000),
 ('2863f75e-d0a9-5017-bdc0-875d54a6ecb8', 'Alejandro Ramírez Romero', 'alejandro.11@talent.example', ARRAY['copywriting','crm','sem','seo'], 'EXPERT', 'Lima', TRUE, 75000),
 ('3be4accd-3440-5140-9051-1ea08e5f9ce7', 'Paula Romero Moreno', 'paula.12@talent.example', ARRAY['aws','fastapi','kafka','postgresql','pulsar'], 'JUNIOR', 'Valencia', TRUE, 36000),
 ('e7a30ec9-adc1-508c-b1d2-f6ea56e71e06', 'Javier Sánchez Díaz', 'javier.13@talent.example', ARRAY['css','figma','graphql','react','typescript','vue'], 'EXPERT', 'Lima', TRUE, 76000),
 ('ac34a51a-af7b-591e-a959-7719b06c2cae', 'Elena Castro López', 'elena.14@talent.example', ARRAY['airflow','machine-learning','pandas','postgresql','sql'], 'JUNIOR', 'Valencia', TRUE, 40000),
 ('9a666409-a532-57c3-943e-4ffc32d64060', 'Carlos Rubio Molina', 'carlos.15@talent.example', ARRAY['firebase','flutter','kotlin'], 'MID', 'Bogotá', TRUE, 46000),
 ('bd42c745-79fc-56ca-905c-3096ec4df06d', 'Ana Rubio Ramírez', 'ana.16@talent.example', ARRAY['aws','gcp','kubernetes','prometheus','terraform'], 'SENIOR', 'Bogotá', TRUE, 68000),
 ('1f89016a-ec62-535e-b398-094eb504a793', 'Miguel Navarro García', 'miguel.17@talent.example', ARRAY['analytics','copywriting','google-ads','sem','seo'], 'EXPERT', 'Santiago', FALSE, 86000),
 ('ee10eb27-f766-57d5-a812-82624d5b18a3', 'Laura Torres Navarro', 'laura.18@talent.example', ARRAY['aws','docker','fastapi','postgresql','pulsar','python'], 'SENIOR', 'Madrid', FALSE, 70000),
 ('0cd56430-3f40-5c19-a547-53e1bb2b9722', 'Andrés Ortega Navarro', 'andres.19@talent.example', ARRAY['css','figma','javascript','typescript','vue'], 'JUNIOR', 'Bogotá', TRUE, 39000),
 ('b5eba2db-1f13-51f0-bae1-7235fde46714', 'Marta Álvarez Sánchez', 'marta.20@talent.example', ARRAY['airflow','dbt','machine-learning','python','sql'], 'MID', 'Bogotá', TRUE, 52000),
 ('277c0869-2020-5c6e-a13b-00cbd48874d4', 'Tomás García García', 'tomas.21@talent.example', ARRAY['firebase','flutter','kotlin','react-native','swift'], 'SENIOR', 'Bogotá', TRUE, 64000),
 ('8f6547f3-9636-57de-aaf4-e223c4e5ca60', 'Sara Ortega Romero', 'sara.22@talent.example', ARRAY['aws','prometheus','terraform'], 'SENIOR', 'Ciudad de México', TRUE, 60000),
 ('9ff9d2ed-a17d-5934-85d2-9bb913a537b9', 'Nicolás Vargas Vargas', 'nicolas.23@talent.example', ARRAY['copywriting','google-ads','sem','seo'], 'SENIOR', 'Valencia', TRUE, 67000),
 ('68c1e340-ea42-5488-a0dd-106e51096cfc', 'Julia Sánchez Moreno', 'julia.24@talent.example', ARRAY['django','docker','kafka'], 'EXPERT', 'Bogotá', TRUE, 81000),
 ('afb6eb03-1689-5f2c-8928-f4cce6e44db4', 'Gabriel Martínez Castro', 'gabriel.25@talent.example', ARRAY['css','graphql','typescript','vue'], 'EXPERT', 'Barcelona', TRUE, 82000),
 ('83652cfc-2baa-5cc1-94f2-48a5a18dea72', 'Carmen García Fernández', 'carmen.26@talent.example', ARRAY['machine-learning','postgresql','python','spark','sql'], 'MID', 'Valencia', TRUE, 54000),
 ('f4455011-1dfc-5072-b70d-93ba4ff8c121', 'Adrián García Pérez', 'adrian.27@talent.example', ARRAY['kotlin','react-native','swift'], 'MID', 'Valencia', TRUE, 51000),
 ('a7c93616-6495-5b22-a1dd-c8508688465c', 'Irene Ortega Pérez', 'irene.28@talent.example', ARRAY['docker','kubernetes','linux','terraform'], 'SENIOR', 'Barcelona', TRUE, 63000),
 ('5841c520-4a4b-59c2-a73d-36842bb34616', 'Sergio Rubio Ramírez', 'sergio.29@talent.example', ARRAY['analytics','crm','google-ads','sem'], 'SENIOR', 'Sevilla', TRUE, 66000),
 ('e06d87b0-9528-531d-8867-c1c79350bd94', 'Natalia Álvarez Romero', 'natalia.30@talent.example', ARRAY['django','kafka','kubernetes','postgresql'], 'EXPERT', 'Valencia', TRUE, 80000),
 ('a210a450-dbe3-5239-b053-5bdcee9f4303', 'Rubén Martínez Romero', 'ruben.31@talent.example', ARRAY['css','figma','graphql','javascript','react','typescript'], 'MID', 'Valencia', TRUE, 50000),
 ('392a746f-b6ef-5d3d-8f88-89b00019d9d0', 'Alba Molina Sánchez', 'alba.32@talent.example', ARRAY['airflow','dbt','pandas','postgresql'], 'SENIOR', 'Ciudad de México', TRUE, 59000),
 ('af5de0c1-8a24-547e-89f8-ef6ebdcc1646', 'Iván Rubio García', 'ivan.33@talent.example', ARRAY['firebase','flutter','kotlin','react-native','swift'], 'SENIOR', 'Madrid', TRUE, 69000),
 ('a36c7143-d5f5-51aa-8d41-1d22900197bf', 'Claudia García Ruiz', 'claudia.34@talent.example', ARRAY['aws','docker','kubernetes','linux','prometheus'], 'SENIOR', 'Barcelona', FALSE, 61000),
 ('7a93c2c3-bd6e-5aaa-938a-2ca44038051c', 'Raúl Romero Ortega', 'raul.35@talent.example', ARRAY['crm','google-ads','sem'], 'MID', 'Sevilla', TRUE, 43000),
 ('457ac9f2-d917-57c4-8360-04d71323f1f5', 'Noelia Martínez Castro', 'noelia.36@talent.example', ARRAY['fastapi','kafka','kubernetes'], 'MID', 'Barcelona', TRUE, 45000),
 ('192b3bef-ee3f-505c-a853-e26d5de75b78', 'Óscar Torres Vargas', 'oscar.37@talent.example', ARRAY['css','graphql','javascript','typescript','vue'], 'JUNIOR', 'Bogotá', FALSE, 40000),
 ('19ee55fc-f161-5e90-a219-f82020699fe0', 'Patricia Ramírez Martínez', 'patricia.38@talent.example', ARRAY['dbt','python','spark','sql'], 'SENIOR', 'Valencia', TRUE, 60000),
 ('8b030881-cb64-5ede-b611-cd5143adf507', 'Fernando Rubio Ramírez', 'fernando.39@talent.example', ARRAY['kotlin','react-native','swift'], 'SENIOR', 'Santiago', TRUE, 62000);

CREATE TABLE recruitment.jobs (
    job_id            text        PRIMARY KEY,
    request_id        text        NOT NULL UNIQUE,
    partner_id        text        NOT NULL,
    title             text        NOT NULL,
    requirements      jsonb       NOT NULL,
    required_skills   text[]      NOT NULL,
    experience_level  text        NOT NULL,
    job_type          text        NOT NULL,
    remote_allowed    boolean     NOT NULL,
    locations         text[]      NOT NULL,
    salary_range      jsonb       NOT NULL,
    urgency           text        NOT NULL,
    status            text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_partner ON recruitment.jobs (partner_id);

CREATE TABLE recruitment.matches (
    match_id      text           PRIMARY KEY,
    job_id        text           NOT NULL REFERENCES recruitment.jobs,
    candidate_id  text           NOT NULL REFERENCES recruitment.candidates,
    score         numeric(5, 2)  NOT NULL,
    rank          integer        NOT NULL,
    UNIQUE (job_id, candidate_id)
);
