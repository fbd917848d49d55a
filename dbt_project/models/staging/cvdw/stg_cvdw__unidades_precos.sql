-- One row per price of a unit in a price table and vigência. The path has no id of its own:
-- `referencia` (unit and table) is the key. `idunidade` is the integer id (`idunidade_int` of
-- the units path).
with

source as (

    {{ cvdw_source('unidades_precos') }}

),

renamed as (

    select
        conta,
        {{ cvdw_text('referencia') }} as referencia,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        idetapa,
        {{ cvdw_text('etapa') }} as etapa,
        idbloco,
        {{ cvdw_text('bloco') }} as bloco,
        idtabela,
        {{ cvdw_text('tabela') }} as tabela,
        {{ cvdw_number('valor') }} as valor,
        {{ cvdw_number('valor_avaliacao') }} as valor_avaliacao,
        {{ cvdw_date('data_vigencia_de') }} as data_vigencia_de,
        {{ cvdw_date('data_vigencia_ate') }} as data_vigencia_ate,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, referencia) *
    from renamed
    where referencia is not null
    order by conta, referencia, {{ cvdw_newest_first() }}

)

select * from final
