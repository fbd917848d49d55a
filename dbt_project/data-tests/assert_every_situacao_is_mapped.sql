{{ config(severity='warn') }}
-- A situation the account sends that the seeds do not know counts for no funnel stage (leads,
-- pastas) or shows as 'Não mapeada' (repasses): add it to `funil_situacoes` or `repasse_etapas`.
with

funil_situacoes as (

    select
        caminho,
        lower(trim(situacao)) as situacao
    from {{ ref('funil_situacoes') }}

),

repasse_etapas as (

    select lower(trim(situacao)) as situacao
    from {{ ref('repasse_etapas') }}

),

enviadas as (

    select 'leads' as caminho, situacao from {{ ref('stg_cvdw__leads') }}
    union
    select 'leads' as caminho, para_nome as situacao from {{ ref('stg_cvdw__leads_historico_situacoes') }}
    union
    select 'precadastros' as caminho, situacao from {{ ref('stg_cvdw__precadastros') }}
    union
    select 'precadastros' as caminho, para_nome as situacao
    from {{ ref('stg_cvdw__precadastro_historico_situacoes') }}
    union
    select 'repasses' as caminho, situacao from {{ ref('stg_cvdw__repasses') }}
    union
    select 'repasses' as caminho, para_nome as situacao from {{ ref('stg_cvdw__repasses_historico_situacoes') }}

)

select
    enviadas.caminho,
    enviadas.situacao
from enviadas
where
    enviadas.situacao is not null
    and not exists (
        select 1
        from funil_situacoes
        where
            funil_situacoes.caminho = enviadas.caminho
            and funil_situacoes.situacao = lower(trim(enviadas.situacao))
    )
    and not exists (
        select 1
        from repasse_etapas
        where
            enviadas.caminho = 'repasses'
            and repasse_etapas.situacao = lower(trim(enviadas.situacao))
    )
